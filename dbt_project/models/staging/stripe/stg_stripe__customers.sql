{{ config(
    materialized='incremental',
    unique_key='customer_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    pre_hook="{{ stripe_delete_changed('customer', 'customer_id') }}"
) }}

with source as (
    select * from {{ source('stripe', 'customer') }}
    where not is_deleted{{ stripe_changed_since() }}
),

renamed as (
    select
        id as customer_id,
        account as account_id,
        {{ epoch_to_ts('created') }} as created_at,
        upper({{ json_text('payload', 'currency') }}) as currency,
        upper({{ json_text('payload', 'address.country') }}) as address_country,
        {{ json_text('payload', 'address.state') }} as address_state,
        {{ json_text('payload', 'tax_exempt') }} as tax_exempt,
        {{ json_bool('payload', 'delinquent') }} as is_delinquent,
        {{ json_int('payload', 'balance') }} as balance,
        {{ json_get('payload', 'metadata') }} as metadata,
        synced_at
    from source
),

final as (
    select * from renamed
)

select * from final
