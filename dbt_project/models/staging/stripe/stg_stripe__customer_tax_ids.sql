{#- Tax ids live nested in the customer (`tax_ids`, expanded); the value is a taxpayer number:
    kept for VAT reverse-charge checks, never logged. -#}
with source as (
    select * from {{ source('stripe', 'customer') }}
    where not is_deleted
),

renamed as (
    select
        {{ json_text('tax_id.value', 'id') }} as tax_id_id,
        customer.id as customer_id,
        customer.account as account_id,
        {{ epoch_to_ts(json_int('tax_id.value', 'created')) }} as created_at,
        {{ json_text('tax_id.value', 'type') }} as tax_id_type,
        upper({{ json_text('tax_id.value', 'country') }}) as country,
        {{ json_text('tax_id.value', 'value') }} as tax_id_value,
        {{ json_text('tax_id.value', 'verification.status') }} as verification_status
    from source as customer
    cross join {{ json_each('customer.payload', 'tax_ids.data', 'tax_id') }}
),

final as (
    select * from renamed
)

select * from final
