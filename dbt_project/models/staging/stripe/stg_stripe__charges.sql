{{ config(
    materialized='incremental',
    unique_key='charge_id',
    pre_hook="{{ stripe_delete_changed('charge', 'charge_id') }}"
) }}
{%- set p = json_doc('payload') %}

with source as (
    select * from {{ source('stripe', 'charge') }}
    where not is_deleted{{ stripe_changed_since() }}
),

renamed as (
    select
        id as charge_id,
        account as account_id,
        {{ epoch_to_ts('created') }} as created_at,
        {{ json_int(p, 'amount') }} as amount,
        {{ json_int(p, 'amount_captured') }} as amount_captured,
        {{ json_int(p, 'amount_refunded') }} as amount_refunded,
        upper({{ json_text(p, 'currency') }}) as currency,
        {{ json_text(p, 'status') }} as status,
        {{ json_bool(p, 'paid') }} as is_paid,
        {{ json_bool(p, 'captured') }} as is_captured,
        {{ json_bool(p, 'refunded') }} as is_refunded,
        {{ json_bool(p, 'disputed') }} as is_disputed,
        {{ stripe_id(p, 'customer') }} as customer_id,
        {{ stripe_id(p, 'payment_intent') }} as payment_intent_id,
        {{ stripe_id(p, 'balance_transaction') }} as balance_transaction_id,
        {{ stripe_id(p, 'failure_balance_transaction') }} as failure_balance_transaction_id,
        {{ json_text(p, 'failure_code') }} as failure_code,
        {{ stripe_id(p, 'application_fee') }} as application_fee_id,
        {{ json_int(p, 'application_fee_amount') }} as application_fee_amount,
        {{ stripe_id(p, 'transfer_data.destination') }} as destination_account_id,
        {{ json_int(p, 'transfer_data.amount') }} as transfer_data_amount,
        {{ stripe_id(p, 'transfer') }} as transfer_id,
        {{ stripe_id(p, 'on_behalf_of') }} as on_behalf_of_account_id,
        {{ json_text(p, 'transfer_group') }} as transfer_group,
        -- API versions before 2025-03-31.basil carried the invoice on the charge
        {{ stripe_id(p, 'invoice') }} as invoice_id,
        {{ json_text(p, 'payment_method_details.type') }} as payment_method_type,
        {{ json_text(p, 'payment_method_details.card.brand') }} as card_brand,
        upper({{ json_text(p, 'payment_method_details.card.country') }}) as card_country,
        {{ json_text(p, 'payment_method_details.card.funding') }} as card_funding,
        {{ json_text(p, 'payment_method_details.card.wallet.type') }} as card_wallet_type,
        upper({{ json_text(p, 'billing_details.address.country') }}) as billing_country,
        {{ json_text(p, 'outcome.type') }} as outcome_type,
        {{ json_text(p, 'outcome.risk_level') }} as outcome_risk_level,
        {{ json_int(p, 'outcome.risk_score') }} as outcome_risk_score,
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
