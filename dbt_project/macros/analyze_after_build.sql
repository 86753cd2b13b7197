{#-
  PostgreSQL plans a query from table statistics, and a table dbt has just created has none until
  autovacuum gets to it: int_balance__transactions' eleven left joins over freshly built staging
  were estimated at 10^27 rows and planned as a nested loop that ran for minutes on the demo world.
  Each table model is analysed as soon as it is built (a sample, about a second at most). DuckDB
  keeps its statistics itself: nothing to do there.
-#}
{% macro analyze_after_build() -%}
  {%- if target.type == 'postgres' and config.get('materialized') in ('table', 'incremental') -%}
    analyze {{ this }}
  {%- endif -%}
{%- endmacro %}
