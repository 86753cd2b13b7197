{#-
  Exact money arithmetic on both targets (helper A, money side).
  DuckDB divides DECIMALs into DOUBLE, so a conversion done with `/` would pass through a float.
  These macros keep conversions in integers: rates become scaled integers, and the one division
  is an integer division rounded half-up (DESIGN section 7: half-up, once, at the last step).
-#}

{#- An expandable Stripe reference: the id whether the field holds "ch_..." or {"id": "ch_...", ...}. -#}
{% macro stripe_id(col, path) -%}
  coalesce({{ json_text(col, path ~ '.id') }}, case when substr({{ json_text(col, path) }}, 1, 1) <> chr(123) then {{ json_text(col, path) }} end)
{%- endmacro %}

{#- The exact integer type: HUGEINT on DuckDB, NUMERIC on PostgreSQL. -#}
{% macro exact_int_type() -%}
  {%- if target.type == 'postgres' -%}numeric{%- else -%}hugeint{%- endif -%}
{%- endmacro %}

{#- A decimal (rate) as an exact integer scaled by 10^12 (rates carry at most 12 decimals). -#}
{% macro scaled_rate(decimal_expr) -%}
  cast(cast({{ decimal_expr }} as decimal(38, 12)) * 1000000000000 as {{ exact_int_type() }})
{%- endmacro %}

{#- Integer division of two exact integers, rounded half-up (away from zero at .5); den > 0. -#}
{% macro int_div_half_up(num, den) -%}
  {%- if target.type == 'postgres' -%}
  cast(case when ({{ num }}) >= 0
            then div(2 * cast({{ num }} as numeric) + cast({{ den }} as numeric), 2 * cast({{ den }} as numeric))
            else -div(-2 * cast({{ num }} as numeric) + cast({{ den }} as numeric), 2 * cast({{ den }} as numeric)) end as bigint)
  {%- else -%}
  cast(case when ({{ num }}) >= 0
            then (2 * cast({{ num }} as hugeint) + cast({{ den }} as hugeint)) // (2 * cast({{ den }} as hugeint))
            else -((-2 * cast({{ num }} as hugeint) + cast({{ den }} as hugeint)) // (2 * cast({{ den }} as hugeint))) end as bigint)
  {%- endif -%}
{%- endmacro %}

{#- 10^n as an exact integer (n is a column or literal, 0..3 for currency exponents). -#}
{% macro pow10_int(n) -%}
  cast(case {{ n }} when 0 then 1 when 1 then 10 when 2 then 100 when 3 then 1000 when 4 then 10000 end as {{ exact_int_type() }})
{%- endmacro %}

{#-
  Minor units of `from` currency into minor units of the reporting currency, half-up, exactly:
  amount_minor * rate * 10^(exp_to - exp_from), where `rate` = major units of `to` per major unit
  of `from`, given as a decimal with at most 12 places.
-#}
{% macro convert_minor(amount_minor, rate, exponent_from, exponent_to) -%}
  {{ int_div_half_up(
      'cast(' ~ amount_minor ~ ' as ' ~ exact_int_type() ~ ') * ' ~ scaled_rate(rate) ~ ' * ' ~ pow10_int(exponent_to),
      '1000000000000 * ' ~ pow10_int(exponent_from)) }}
{%- endmacro %}

{#- amount_minor * rate_num / rate_den (both decimals), half-up: cross rates without a float. -#}
{% macro convert_minor_cross(amount_minor, rate_num, rate_den, exponent_from, exponent_to) -%}
  {{ int_div_half_up(
      'cast(' ~ amount_minor ~ ' as ' ~ exact_int_type() ~ ') * ' ~ scaled_rate(rate_num) ~ ' * ' ~ pow10_int(exponent_to),
      scaled_rate(rate_den) ~ ' * ' ~ pow10_int(exponent_from)) }}
{%- endmacro %}
