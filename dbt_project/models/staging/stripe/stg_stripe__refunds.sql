{{ config(
    materialized='incremental',
    unique_key='refund_id',
    pre_hook="{{ stripe_delete_changed('refund', 'refund_id') }}"
) }}
{%- set p = json_doc('payload') %}

with source as (
    select * from {{ source('stripe', 'refund') }}
    where not is_deleted{{ stripe_changed_since() }}
),

renamed as (
    select
        id as refund_id,
        account as account_id,
        {{ epoch_to_ts('created') }} as created_at,
        {{ json_int(p, 'amount') }} as amount,
        upper({{ json_text(p, 'currency') }}) as currency,
        {{ json_text(p, 'status') }} as status,
        {{ json_text(p, 'reason') }} as reason,
        {{ stripe_id(p, 'charge') }} as charge_id,
        {{ stripe_id(p, 'payment_intent') }} as payment_intent_id,
        {{ stripe_id(p, 'balance_transaction') }} as balance_transaction_id,
        {{ stripe_id(p, 'failure_balance_transaction') }} as failure_balance_transaction_id,
        {{ stripe_id(p, 'transfer_reversal') }} as transfer_reversal_id,
        {{ stripe_id(p, 'source_transfer_reversal') }} as source_transfer_reversal_id,
        {{ json_get(p, 'metadata') }} as metadata,
        synced_at
    from {{ json_doc_from(p, 'source') }}
),

final as (
    select * from renamed
)

select * from final
