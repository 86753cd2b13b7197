{#- Timestamps in the warehouse are naive UTC (`*_at`), whatever the session time zone. -#}
{% macro epoch_to_ts(expr) -%}
  {%- if target.type == 'postgres' -%}(to_timestamp({{ expr }}) at time zone 'UTC')
  {%- else -%}epoch_ms(cast({{ expr }} as bigint) * 1000){%- endif -%}
{%- endmacro %}

{% macro month_start(ts) -%}cast(date_trunc('month', {{ ts }}) as date){%- endmacro %}

{% macro day_of(ts) -%}cast({{ ts }} as date){%- endmacro %}

{#- First moment after the month: a month's MRR snapshot is taken just before it. -#}
{% macro month_end_exclusive(month_date) -%}
  cast({{ month_date }} + interval '1 month' as date)
{%- endmacro %}
