{{ config(
    materialized='incremental',
    unique_key='customer_id',
    pre_hook="{{ stripe_delete_changed('customer', 'customer_id') }}"
) }}
{%- set p = json_doc('payload') %}

with source as (
    select * from {{ source('stripe', 'customer') }}
    where not is_deleted{{ stripe_changed_since() }}
),

renamed as (
    select
        id as customer_id,
        account as account_id,
        {{ epoch_to_ts('created') }} as created_at,
        upper({{ json_text(p, 'currency') }}) as currency,
        upper({{ json_text(p, 'address.country') }}) as address_country,
        {{ json_text(p, 'address.state') }} as address_state,
        {{ json_text(p, 'tax_exempt') }} as tax_exempt,
        {{ json_bool(p, 'delinquent') }} as is_delinquent,
        {{ json_int(p, 'balance') }} as balance,
        {{ json_get(p, 'metadata') }} as metadata,
        synced_at
    from {{ json_doc_from(p, 'source') }}
),

final as (
    select * from renamed
)

select * from final
