{{ config(
    materialized='incremental',
    unique_key='refund_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    pre_hook="{{ stripe_delete_changed('refund', 'refund_id') }}"
) }}

with source as (
    select * from {{ source('stripe', 'refund') }}
    where not is_deleted{{ stripe_changed_since() }}
),

renamed as (
    select
        id as refund_id,
        account as account_id,
        {{ epoch_to_ts('created') }} as created_at,
        {{ json_int('payload', 'amount') }} as amount,
        upper({{ json_text('payload', 'currency') }}) as currency,
        {{ json_text('payload', 'status') }} as status,
        {{ json_text('payload', 'reason') }} as reason,
        {{ stripe_id('payload', 'charge') }} as charge_id,
        {{ stripe_id('payload', 'payment_intent') }} as payment_intent_id,
        {{ stripe_id('payload', 'balance_transaction') }} as balance_transaction_id,
        {{ stripe_id('payload', 'failure_balance_transaction') }} as failure_balance_transaction_id,
        {{ stripe_id('payload', 'transfer_reversal') }} as transfer_reversal_id,
        {{ stripe_id('payload', 'source_transfer_reversal') }} as source_transfer_reversal_id,
        {{ json_get('payload', 'metadata') }} as metadata,
        synced_at
    from source
),

final as (
    select * from renamed
)

select * from final
