{#- Tax ids live nested in the customer (`tax_ids`, expanded); the value is a taxpayer number:
    kept for VAT reverse-charge checks, never logged. json_unnest_from, not a json_each lateral
    (DuckDB deduplicates the payloads a lateral joins on: 0.2 s of large's day for every customer). -#}
with source as (
    select * from {{ source('stripe', 'customer') }}
    where not is_deleted
),

renamed as (
    select
        {{ json_text('tax_id', 'id') }} as tax_id_id,
        source.id as customer_id,
        source.account as account_id,
        {{ epoch_to_ts(json_int('tax_id', 'created')) }} as created_at,
        {{ json_text('tax_id', 'type') }} as tax_id_type,
        upper({{ json_text('tax_id', 'country') }}) as country,
        {{ json_text('tax_id', 'value') }} as tax_id_value,
        {{ json_text('tax_id', 'verification.status') }} as verification_status
    from {{ json_unnest_from('source', 'payload', 'tax_ids.data', 'tax_id') }}
),

final as (
    select * from renamed
)

select * from final
