{#-
  A relation's column rules in one dbt test: `unique` columns, `not_null` columns and
  `accepted_values` ({column, values}), the same guarantees as dbt's unique, not_null and
  accepted_values tests, one row per broken rule (rule, column, failing value, rows). One node
  instead of one per rule: each dbt test costs 30-80 ms of dbt's own work (compile, a
  transaction, events) whatever its query, and the day's build ran 230 of them. As in dbt's
  tests, null passes `unique` and `accepted_values` (only `not_null` rejects it).
-#}
{% test column_rules(model, unique=[], not_null=[], accepted_values=[]) %}
{%- set branches = [] -%}
{%- if not_null %}
with null_counts as (
    select
    {%- for column in not_null %}
        sum(case when {{ column }} is null then 1 else 0 end) as n{{ loop.index }}{{ "," if not loop.last }}
    {%- endfor %}
    from {{ model }}
)
{%- for column in not_null %}
{%- do branches.append("select 'not_null' as rule, '" ~ column ~ "' as column_name, cast(null as " ~ dbt.type_string() ~ ") as failing_value, n" ~ loop.index ~ " as failing_rows from null_counts where n" ~ loop.index ~ " > 0") %}
{%- endfor %}
{%- endif %}
{%- for column in unique %}
{%- do branches.append("select 'unique', '" ~ column ~ "', cast(" ~ column ~ " as " ~ dbt.type_string() ~ "), count(*) from " ~ model ~ " where " ~ column ~ " is not null group by " ~ column ~ " having count(*) > 1") %}
{%- endfor %}
{%- for rule in accepted_values %}
{%- set allowed = [] %}
{%- for value in rule['values'] %}{% do allowed.append("'" ~ value ~ "'") %}{% endfor %}
{%- do branches.append("select 'accepted_values', '" ~ rule['column'] ~ "', cast(" ~ rule['column'] ~ " as " ~ dbt.type_string() ~ "), count(*) from " ~ model ~ " where cast(" ~ rule['column'] ~ " as " ~ dbt.type_string() ~ ") not in (" ~ allowed | join(", ") ~ ") group by " ~ rule['column']) %}
{%- endfor %}
{{ branches | join("\nunion all\n") }}
{% endtest %}
