{{ config(
    materialized='incremental',
    unique_key='payment_intent_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    pre_hook="{{ stripe_delete_changed('payment_intent', 'payment_intent_id') }}"
) }}

with source as (
    select * from {{ source('stripe', 'payment_intent') }}
    where not is_deleted{{ stripe_changed_since() }}
),

renamed as (
    select
        id as payment_intent_id,
        account as account_id,
        {{ epoch_to_ts('created') }} as created_at,
        {{ json_int('payload', 'amount') }} as amount,
        {{ json_int('payload', 'amount_received') }} as amount_received,
        upper({{ json_text('payload', 'currency') }}) as currency,
        {{ json_text('payload', 'status') }} as status,
        {{ stripe_id('payload', 'customer') }} as customer_id,
        {{ stripe_id('payload', 'latest_charge') }} as latest_charge_id,
        {{ json_int('payload', 'application_fee_amount') }} as application_fee_amount,
        {{ stripe_id('payload', 'transfer_data.destination') }} as destination_account_id,
        {{ json_text('payload', 'transfer_group') }} as transfer_group,
        -- API versions before 2025-03-31.basil carried the invoice on the payment intent
        {{ stripe_id('payload', 'invoice') }} as invoice_id,
        {{ epoch_to_ts(json_int('payload', 'canceled_at')) }} as canceled_at,
        {{ json_text('payload', 'cancellation_reason') }} as cancellation_reason,
        coalesce({{ json_text('payload', 'last_payment_error.code') }},
                 {{ json_text('payload', 'last_payment_error.type') }}) as last_payment_error_code,
        {{ json_text('payload', 'description') }} as description,
        {{ json_text('payload', 'metadata.kind') }} as metadata_kind,
        {{ json_get('payload', 'metadata') }} as metadata,
        synced_at
    from source
),

final as (
    select * from renamed
)

select * from final
