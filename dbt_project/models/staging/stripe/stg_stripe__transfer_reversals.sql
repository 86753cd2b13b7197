{{ config(
    materialized='incremental',
    unique_key='transfer_reversal_id',
    pre_hook="{{ stripe_delete_changed('transfer_reversal', 'transfer_reversal_id') }}"
) }}
{%- set p = json_doc('payload') %}

with source as (
    select * from {{ source('stripe', 'transfer_reversal') }}
    where not is_deleted{{ stripe_changed_since() }}
),

renamed as (
    select
        id as transfer_reversal_id,
        account as account_id,
        {{ epoch_to_ts('created') }} as created_at,
        {{ json_int(p, 'amount') }} as amount,
        upper({{ json_text(p, 'currency') }}) as currency,
        {{ stripe_id(p, 'transfer') }} as transfer_id,
        {{ stripe_id(p, 'balance_transaction') }} as balance_transaction_id,
        {{ stripe_id(p, 'destination_payment_refund') }} as destination_payment_refund_id,
        {{ stripe_id(p, 'source_refund') }} as source_refund_id,
        synced_at
    from {{ json_doc_from(p, 'source') }}
),

final as (
    select * from renamed
)

select * from final
