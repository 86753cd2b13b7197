{{ config(
    materialized='incremental',
    unique_key='balance_transaction_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    pre_hook="{{ stripe_delete_changed('balance_transaction', 'balance_transaction_id') }}"
) }}

with source as (
    select * from {{ source('stripe', 'balance_transaction') }}
    where not is_deleted{{ stripe_changed_since() }}
),

renamed as (
    select
        id as balance_transaction_id,
        account as account_id,
        {{ epoch_to_ts('created') }} as created_at,
        {{ epoch_to_ts(json_int('payload', 'available_on')) }} as available_on_at,
        {{ json_int('payload', 'amount') }} as amount,
        {{ json_int('payload', 'fee') }} as fee,
        {{ json_int('payload', 'net') }} as net,
        upper({{ json_text('payload', 'currency') }}) as currency,
        {{ json_decimal('payload', 'exchange_rate') }} as exchange_rate,
        {{ json_text('payload', 'reporting_category') }} as reporting_category,
        {{ json_text('payload', 'type') }} as balance_transaction_type,
        {{ json_text('payload', 'status') }} as status,
        {{ json_text('payload', 'balance_type') }} as balance_type,
        {{ stripe_id('payload', 'source') }} as source_id,
        {{ json_text('payload', 'description') }} as description,
        synced_at
    from source
),

final as (
    select * from renamed
)

select * from final
