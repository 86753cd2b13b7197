{#-
  When a model row was last built, for the models downstream of it that rebuild only what changed
  (fct_balance_transactions reads the `built_at` of int_balance__transactions and
  int_payments__charges, int_tax__charges_usd that of int_payments__charges): a row of an
  incremental model can change because an object other than its own changed (a charge's payment
  intent, invoice or product), and its own synced_at does not tell. Every row a run writes
  carries the run's start, in UTC (a plain timestamp: the same literal on DuckDB and PostgreSQL
  whatever the session's time zone).
-#}
{% macro build_time() -%}
  cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as timestamp)
{%- endmacro %}

{#- The newest built_at of this model's table, as a literal (the epoch when it has no row): read
    before the run, so that the database can skip the row groups of an upstream table written
    before it (a scalar subquery would be evaluated while the scan runs). -#}
{% macro last_built_at() -%}
  {%- set newest = run_query("select max(built_at) from " ~ this).columns[0].values()[0] -%}
  {%- if newest is none -%}
    cast('1970-01-01 00:00:00' as timestamp)
  {%- else -%}
    cast('{{ newest }}' as timestamp)
  {%- endif -%}
{%- endmacro %}

{#-
  True on an incremental run whose table already has `column`. A model that gains a column
  (on_schema_change: append_new_columns) rebuilds every row on its first run after the change,
  so no row is left without it and no existing warehouse needs a --full-refresh.
-#}
{% macro incremental_with_column(column) -%}
  {#- a unit test has no table of its own (this is none): it tests the full build -#}
  {%- if this is none or not is_incremental() -%}
    {{ return(false) }}
  {%- endif -%}
  {%- set names = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list -%}
  {{ return(column | lower in names) }}
{%- endmacro %}

{#-
  How far back an incremental run rebuilds rows that convert at the ECB rate of their day: a rate
  published late (a holiday, a missed file) replaces the one carried forward over those days.
-#}
{% macro late_rate_days() -%}7{%- endmacro %}

{#- `column` within late_rate_days() of this table's newest (every row when the table is empty). -#}
{% macro within_late_rate_days(column) -%}
  {{ column }} >= (select coalesce(max({{ column }}) - interval '{{ late_rate_days() }} days',
                                   cast('1970-01-01' as timestamp)) from {{ this }})
{%- endmacro %}
