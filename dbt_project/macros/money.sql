{#-
  Money is integer minor units with its currency beside it. These turn minor units into major
  units for display only, using each currency's exponent from the `currencies` seed
  (JPY 0, KWD 3, most 2), never a blanket /100.
-#}
{% macro minor_to_major(amount_col, exponent_col) -%}
  (cast({{ amount_col }} as decimal(38, 6)) / power(10, {{ exponent_col }}))
{%- endmacro %}

{#- Half-up rounding of an exact decimal to an integer number of minor units (done once, last). -#}
{% macro round_half_up_int(expr) -%}
  cast(case when ({{ expr }}) >= 0 then floor(({{ expr }}) + 0.5) else -floor(-({{ expr }}) + 0.5) end as bigint)
{%- endmacro %}
