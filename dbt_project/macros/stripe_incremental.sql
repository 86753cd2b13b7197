{#-
  Incremental staging of the raw Stripe landing (DESIGN section 5: rows upserted by id; an update or
  a deletion rewrites the row with a newer `synced_at`, an unchanged object keeps its `synced_at`).

  A staging model built this way holds `synced_at` (the raw row's, or for nested rows the parent's)
  and, on an incremental run:
    1. pre-hook `stripe_delete_changed(raw table, key)`: deletes every row whose parent object
       (`key` = the raw id: the object's own id, or the parent id of nested rows such as invoice
       lines or fee details) was written since the model's watermark, deleted objects included,
       so a changed parent's children are replaced as a whole (a line that vanished goes too);
    2. the model's select reads only raw rows with `synced_at >= watermark`
       (`stripe_changed_since()` after `where not is_deleted`);
    3. `incremental_strategy='delete+insert'` on the same key: rows re-read after step 1 lowered
       the watermark replace themselves, never doubling.
  The watermark is max(synced_at) of the model itself, so it can only fall behind the raw table
  (more rows re-read), never skip one, provided ingestion and dbt do not interleave (the landing
  commits a batch with one synced_at, and the pipeline runs dbt after ingestion).
  `--full-refresh` rebuilds the same rows from the whole raw table.
-#}
{% macro stripe_watermark() -%}
  (select coalesce(max(synced_at), cast('1970-01-01 00:00:00+00' as timestamptz)) from {{ this }})
{%- endmacro %}

{#- ` and synced_at >= watermark` on incremental runs, nothing on full builds. -#}
{% macro stripe_changed_since(column='synced_at') -%}
  {%- if is_incremental() %} and {{ column }} >= {{ stripe_watermark() }}{% endif -%}
{%- endmacro %}

{#- The ids of a raw table's rows written since the model's watermark (deleted ones included;
    only those with deleted_only). -#}
{% macro stripe_changed_ids(raw_table, deleted_only=false) -%}
  select id from {{ source('stripe', raw_table) }} where {% if deleted_only %}is_deleted and {% endif -%}
  synced_at >= {{ stripe_watermark() }}
{%- endmacro %}

{#- deleted_only: for a model that finds the rows to rebuild another way (fct_balance_transactions:
    its upstream's built_at), where dropping every re-read row first would lose the ones it does
    not rebuild. -#}
{% macro stripe_delete_changed(raw_table, key, deleted_only=false) -%}
  {%- if is_incremental() -%}
    delete from {{ this }} where {{ key }} in (
        {{ stripe_changed_ids(raw_table, deleted_only) }}
    )
  {%- endif -%}
{%- endmacro %}

{#-
  The sum of an integer field over the elements of a JSON array (e.g. an invoice's total_taxes
  amounts), as a scalar: NULL when the array is missing, empty or not an array, like a left join
  to a grouped json_each would give. No lateral join: on DuckDB a projection that also extracts
  many scalars from the same payloads ran out of a 2 GB memory limit with three such joins.
-#}
{% macro stripe_array_sum(col, array_path, field) -%}
  {%- set col = json_column(col) -%}
  {%- if target.type == 'postgres' -%}
    (select sum(cast(e.elem ->> '{{ field }}' as bigint))
     from jsonb_array_elements(case when jsonb_typeof({{ json_get(col, array_path) }}) = 'array'
                                    then {{ json_get(col, array_path) }} else '[]'::jsonb end) as e(elem))
  {%- else -%}
    list_sum(cast(json_extract({{ col }}, '$.{{ array_path }}[*].{{ field }}') as bigint[]))
  {%- endif -%}
{%- endmacro %}

{#- int_subscriptions__service_periods' pre-hook (see the model): drop the rows of the invoices written
    since the watermark and the rows whose price, subscription or product was; the run then replaces
    every row of each invoice it rebuilds (unique_key invoice_id), so a row whose invoice no longer
    counts or whose line no longer qualifies is not left behind. -#}
{% macro subscription_periods_delete_changed() -%}
  {%- if is_incremental() -%}
    delete from {{ this }} where invoice_id in (
        {{ stripe_changed_ids('invoice') }}
    )
    or price_id in ({{ stripe_changed_ids('price') }})
    or subscription_id in ({{ stripe_changed_ids('subscription') }})
    or product_id in ({{ stripe_changed_ids('product') }})
  {%- endif -%}
{%- endmacro %}
