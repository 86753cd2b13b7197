{{ config(
    materialized='incremental',
    unique_key='charge_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    pre_hook="{{ stripe_delete_changed('charge', 'charge_id') }}"
) }}

with source as (
    select * from {{ source('stripe', 'charge') }}
    where not is_deleted{{ stripe_changed_since() }}
),

renamed as (
    select
        id as charge_id,
        account as account_id,
        {{ epoch_to_ts('created') }} as created_at,
        {{ json_int('payload', 'amount') }} as amount,
        {{ json_int('payload', 'amount_captured') }} as amount_captured,
        {{ json_int('payload', 'amount_refunded') }} as amount_refunded,
        upper({{ json_text('payload', 'currency') }}) as currency,
        {{ json_text('payload', 'status') }} as status,
        {{ json_bool('payload', 'paid') }} as is_paid,
        {{ json_bool('payload', 'captured') }} as is_captured,
        {{ json_bool('payload', 'refunded') }} as is_refunded,
        {{ json_bool('payload', 'disputed') }} as is_disputed,
        {{ stripe_id('payload', 'customer') }} as customer_id,
        {{ stripe_id('payload', 'payment_intent') }} as payment_intent_id,
        {{ stripe_id('payload', 'balance_transaction') }} as balance_transaction_id,
        {{ stripe_id('payload', 'failure_balance_transaction') }} as failure_balance_transaction_id,
        {{ json_text('payload', 'failure_code') }} as failure_code,
        {{ stripe_id('payload', 'application_fee') }} as application_fee_id,
        {{ json_int('payload', 'application_fee_amount') }} as application_fee_amount,
        {{ stripe_id('payload', 'transfer_data.destination') }} as destination_account_id,
        {{ json_int('payload', 'transfer_data.amount') }} as transfer_data_amount,
        {{ stripe_id('payload', 'transfer') }} as transfer_id,
        {{ stripe_id('payload', 'on_behalf_of') }} as on_behalf_of_account_id,
        {{ json_text('payload', 'transfer_group') }} as transfer_group,
        -- API versions before 2025-03-31.basil carried the invoice on the charge
        {{ stripe_id('payload', 'invoice') }} as invoice_id,
        {{ json_text('payload', 'payment_method_details.type') }} as payment_method_type,
        {{ json_text('payload', 'payment_method_details.card.brand') }} as card_brand,
        upper({{ json_text('payload', 'payment_method_details.card.country') }}) as card_country,
        {{ json_text('payload', 'payment_method_details.card.funding') }} as card_funding,
        {{ json_text('payload', 'payment_method_details.card.wallet.type') }} as card_wallet_type,
        upper({{ json_text('payload', 'billing_details.address.country') }}) as billing_country,
        {{ json_text('payload', 'outcome.type') }} as outcome_type,
        {{ json_text('payload', 'outcome.risk_level') }} as outcome_risk_level,
        {{ json_int('payload', 'outcome.risk_score') }} as outcome_risk_score,
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
