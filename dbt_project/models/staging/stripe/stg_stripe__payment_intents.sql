{{ config(
    materialized='incremental',
    unique_key='payment_intent_id',
    pre_hook="{{ stripe_delete_changed('payment_intent', 'payment_intent_id') }}"
) }}
{%- set p = json_doc('payload') %}

with source as (
    select * from {{ source('stripe', 'payment_intent') }}
    where not is_deleted{{ stripe_changed_since() }}
),

renamed as (
    select
        id as payment_intent_id,
        account as account_id,
        {{ epoch_to_ts('created') }} as created_at,
        {{ json_int(p, 'amount') }} as amount,
        {{ json_int(p, 'amount_received') }} as amount_received,
        upper({{ json_text(p, 'currency') }}) as currency,
        {{ json_text(p, 'status') }} as status,
        {{ stripe_id(p, 'customer') }} as customer_id,
        {{ stripe_id(p, 'latest_charge') }} as latest_charge_id,
        {{ json_int(p, 'application_fee_amount') }} as application_fee_amount,
        {{ stripe_id(p, 'transfer_data.destination') }} as destination_account_id,
        {{ json_text(p, 'transfer_group') }} as transfer_group,
        -- API versions before 2025-03-31.basil carried the invoice on the payment intent
        {{ stripe_id(p, 'invoice') }} as invoice_id,
        {{ epoch_to_ts(json_int(p, 'canceled_at')) }} as canceled_at,
        {{ json_text(p, 'cancellation_reason') }} as cancellation_reason,
        coalesce({{ json_text(p, 'last_payment_error.code') }},
                 {{ json_text(p, 'last_payment_error.type') }}) as last_payment_error_code,
        {{ json_text(p, 'description') }} as description,
        {{ json_text(p, 'metadata.kind') }} as metadata_kind,
        {{ json_get(p, 'metadata') }} as metadata,
        synced_at
    from {{ json_doc_from(p, 'source') }}
),

final as (
    select * from renamed
)

select * from final
