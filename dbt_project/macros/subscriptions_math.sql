{#-
  Exact arithmetic for the subscription side (DESIGN section 9): MRR normalisation divides, and
  DuckDB turns decimal / decimal into a DOUBLE, so every division goes through `exact_ratio`.
-#}

{#-
  num / den as decimal(38,12), rounded half away from zero at the 12th decimal, null when den is
  0 or null. num and den are integers or decimals with at most 12 decimals (|num| < 1e13 on DuckDB).
-#}
{% macro exact_ratio(num, den) -%}
  {%- if target.type == 'postgres' -%}
    cast(round(cast({{ num }} as numeric(38, 16)) / nullif(cast({{ den }} as numeric), 0), 12) as decimal(38, 12))
  {%- else -%}
    (case when cast({{ den }} as decimal(38, 12)) = 0 then null else
      cast(
        sign(cast({{ num }} as decimal(38, 12))) * sign(cast({{ den }} as decimal(38, 12)))
        * ((2 * abs(cast(cast({{ num }} as decimal(38, 12)) * 1000000000000 as hugeint)) * 1000000000000
            + abs(cast(cast({{ den }} as decimal(38, 12)) * 1000000000000 as hugeint)))
           // (2 * abs(cast(cast({{ den }} as decimal(38, 12)) * 1000000000000 as hugeint))))
      as decimal(38, 0)) * cast(0.000000000001 as decimal(13, 12))
    end)
  {%- endif -%}
{%- endmacro %}

{#-
  An exact sum of per-line decimals (each carried at 12 decimals) rounded half-up to integer minor
  units, once: first to 6 decimals, so that a true half (x.5) that the 12-decimal carry left as
  x.499999999999 still rounds up.
-#}
{% macro mrr_round(expr) -%}
  {{ round_half_up_int('round(cast(' ~ expr ~ ' as decimal(38, 12)), 6)') }}
{%- endmacro %}

{#- An id that may be a string or an expanded object ({"id": ...}). -#}
{% macro json_id(col, path) -%}
  coalesce({{ json_text(col, path ~ '.id') }}, {{ json_text(col, path) }})
{%- endmacro %}

{#-
  Months normalised from a recurring interval: the factor a period's amount is multiplied by to
  give a month, as numerator / denominator integers (DESIGN section 9).
-#}
{% macro interval_month_numerator(interval) -%}
  (case {{ interval }} when 'week' then 52 when 'day' then 365 else 1 end)
{%- endmacro %}

{% macro interval_month_denominator(interval, interval_count) -%}
  (case {{ interval }} when 'month' then 1 else 12 end * coalesce({{ interval_count }}, 1))
{%- endmacro %}
