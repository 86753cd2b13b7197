{#-
  Cross-database JSON access: DuckDB (raw payloads are VARCHAR holding JSON text, which json_extract
  reads as it reads the JSON type; JSONPath strings) and PostgreSQL (jsonb, path arrays).
  `path` is a dotted path inside the object, e.g. 'status_transitions.paid_at'.
  `col` may also be a json_doc() handle (below): many paths of one document, parsed once.
  Scalars come out typed and strict: a value that is not of the type fails the build rather than
  turning silently into NULL. A missing key or JSON null gives SQL NULL.
-#}
{% macro _pg_path(path) -%}'{ {{- path.split('.') | join(',') -}} }'{%- endmacro %}

{#- The column under a json_doc() handle (or the column itself): for the macros that read the
    document on their own (a handle rendered as SQL would be a DuckDB struct literal). -#}
{% macro json_column(col) -%}{{ col.col if col is mapping else col }}{%- endmacro %}

{% macro json_get(col, path) -%}
  {%- set col = json_column(col) -%}
  {%- if target.type == 'postgres' -%}({{ col }} #> {{ _pg_path(path) }})
  {%- else -%}json_extract({{ col }}, '$.{{ path }}'){%- endif -%}
{%- endmacro %}

{% macro json_text(col, path) -%}
  {%- if col is mapping -%}
    {%- if target.type == 'postgres' -%}{{ json_text(col.col, path) }}{%- else -%}{{ _json_doc_element(col, path) }}{%- endif -%}
  {%- elif target.type == 'postgres' -%}({{ col }} #>> {{ _pg_path(path) }})
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
  {%- set col = json_column(col) -%}
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
  {%- set col = json_column(col) -%}
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

{#-
  Many scalars from one JSON document with one parse. On DuckDB the payloads are VARCHAR, and
  json_text on the column re-parses the whole document for every column it extracts: with thirty
  columns that parsing was most of a staging model's time. A model reads through a handle instead:
      {%- set p = json_doc('payload') -%}
      select {{ json_int(p, 'amount') }} as amount, {{ stripe_id(p, 'customer') }} as customer_id
      from {{ json_doc_from(p, 'source') }}
  json_text / json_int / json_bool / json_decimal / json_id / stripe_id take the handle where they
  take a column, and each call records its path. `json_doc_from`, rendered after the select list
  (FROM follows it), wraps the relation: DuckDB adds one json_extract_string(payload, [every path])
  list and each column is an element of it; PostgreSQL's jsonb is parsed already, so it is the
  relation itself and each column stays `payload #>> path`. The values are json_extract_string's, as
  on the column: a value of the wrong type still fails its cast, a missing key or JSON null is NULL.
  A path first used after the FROM (a WHERE) is a compile error, not a wrong element.
-#}
{% macro json_doc(col) -%}
  {{ return({'col': col, 'paths': [], 'alias': '_' ~ (col | replace('.', '_')) ~ '_paths', 'sealed': []}) }}
{%- endmacro %}

{% macro _json_doc_element(doc, path) -%}
  {%- if path not in doc.paths -%}
    {%- if doc.sealed -%}
      {{ exceptions.raise_compiler_error("json path '" ~ path ~ "' of " ~ doc.col ~ " is first used after json_doc_from(): use it in the select list") }}
    {%- endif -%}
    {%- do doc.paths.append(path) -%}
  {%- endif -%}
  {{ doc.alias }}[{{ doc.paths.index(path) + 1 }}]
{%- endmacro %}

{% macro json_doc_from(doc, relation) -%}
  {%- do doc.sealed.append(true) -%}
  {%- if target.type == 'postgres' or not doc.paths -%}{{ relation }}
  {%- else -%}
    (select *, json_extract_string({{ doc.col }}, [
        {%- for path in doc.paths %}'$.{{ path }}'{{ ', ' if not loop.last }}{% endfor -%}
    ]) as {{ doc.alias }} from {{ relation }}) as {{ relation }}
  {%- endif -%}
{%- endmacro %}

{#-
  A FROM-clause item: every row of `relation` once per element of the JSON array at `path` in its
  column `col`, with the element in column `<alias>` (JSON) and its 1-based position in
  `<alias>_ordinal`; a row whose array is missing, null or empty gives no rows (an inner
  json_each). On DuckDB it unnests in the select list: json_each's correlated lateral made DuckDB
  deduplicate the payloads it joins on, about three times the cost of parsing them (invoices:
  1.0 s of CPU against 0.35 s on the demo world).
-#}
{% macro json_unnest_from(relation, col, path, alias) -%}
  {%- if target.type == 'postgres' -%}
    (select _rel.*, _elem.value as {{ alias }}, _elem.ordinal as {{ alias }}_ordinal
     from {{ relation }} as _rel
     cross join {{ json_each('_rel.' ~ col, path, '_elem') }}) as {{ relation }}
  {%- else -%}
    (select * exclude (_elems), unnest(_elems) as {{ alias }}, generate_subscripts(_elems, 1) as {{ alias }}_ordinal
     from (select *, cast(json_extract({{ col }}, '$.{{ path }}[*]') as json[]) as _elems from {{ relation }})) as {{ relation }}
  {%- endif -%}
{%- endmacro %}
