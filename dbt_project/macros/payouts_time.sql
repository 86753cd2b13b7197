{#-
  The first day whose start (00:00 UTC) is at or after the naive-UTC timestamp `ts`: a balance
  "as of day D" is the balance at the moment D begins, so a transaction created (or becoming
  available) during D counts from D + 1, one created exactly at midnight counts on that day.
-#}
{% macro payouts_first_day_at_or_after(ts) -%}
  case
    when {{ ts }} = cast(cast({{ ts }} as date) as timestamp) then cast({{ ts }} as date)
    else cast(cast({{ ts }} as date) + interval '1 day' as date)
  end
{%- endmacro %}
