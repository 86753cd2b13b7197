{#-
  Cross-database JSON access: DuckDB (raw payloads are VARCHAR holding JSON text, which json_extract
  reads as it reads the JSON type; JSONPath strings) and PostgreSQL (jsonb, path arrays).
  `path` is a dotted path inside the object, e.g. 'status_transitions.paid_at'.
  Scalars come out typed and strict: a value that is not of the type fails the build rather than
  turning silently into NULL. A missing key or JSON null gives SQL NULL.
-#}
{% macro _pg_path(path) -%}'{ {{- path.split('.') | join(',') -}} }'{%- endmacro %}

{% macro json_get(col, path) -%}
  {%- if target.type == 'postgres' -%}({{ col }} #> {{ _pg_path(path) }})
  {%- else -%}json_extract({{ col }}, '$.{{ path }}'){%- endif -%}
{%- endmacro %}

{% macro json_text(col, path) -%}
  {%- if target.type == 'postgres' -%}({{ col }} #>> {{ _pg_path(path) }})
  {%- else -%}json_extract_string({{ col }}, '$.{{ path }}'){%- endif -%}
{%- endmacro %}

{% macro json_int(col, path) -%}
  cast({{ json_text(col, path) }} as bigint)
{%- endmacro %}

{% macro json_bool(col, path) -%}
  cast({{ json_text(col, path) }} as boolean)
{%- endmacro %}

{#- Exact decimals (exchange rates, unit_amount_decimal): never through a float. -#}
{% macro json_decimal(col, path) -%}
  cast({{ json_text(col, path) }} as decimal(38, 12))
{%- endmacro %}

{#-
  A FROM-clause item with one row per element of the JSON array at `path`, its element in
  column `value` (JSON). Missing, null or non-array gives no rows. Use with cross join (inner)
  or left join ... on true (keep parents without elements):
      from {{ source('stripe', 'invoice') }} as inv
      cross join {{ json_each('inv.payload', 'lines.data', 'line') }}
      -- then {{ json_text('line.value', 'id') }}
-#}
{% macro json_each(col, path, alias) -%}
  {%- if target.type == 'postgres' -%}
    lateral (
      select elem as value, ord as ordinal
      from jsonb_array_elements(
        case when jsonb_typeof({{ json_get(col, path) }}) = 'array' then {{ json_get(col, path) }} else '[]'::jsonb end
      ) with ordinality as e(elem, ord)
    ) as {{ alias }}
  {%- else -%}
    lateral (
      select unnest(elems) as value, generate_subscripts(elems, 1) as ordinal
      from (select cast(json_extract({{ col }}, '$.{{ path }}[*]') as json[]) as elems)
    ) as {{ alias }}
  {%- endif -%}
{%- endmacro %}

{#- Keys of a JSON object (metadata, fee maps) as rows: columns `key` (text) and `value` (JSON). -#}
{% macro json_each_key(col, path, alias) -%}
  {%- if target.type == 'postgres' -%}
    lateral (
      select k as key, v as value
      from jsonb_each(case when jsonb_typeof({{ json_get(col, path) }}) = 'object' then {{ json_get(col, path) }} else '{}'::jsonb end) as e(k, v)
    ) as {{ alias }}
  {%- else -%}
    lateral (
      select unnest(json_keys(obj)) as key, json_extract(obj, '$."' || unnest(json_keys(obj)) || '"') as value
      from (select {{ json_get(col, path) }} as obj) where json_type(obj) = 'OBJECT'
    ) as {{ alias }}
  {%- endif -%}
{%- endmacro %}
