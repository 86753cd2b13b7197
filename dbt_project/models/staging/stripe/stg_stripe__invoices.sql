{{ config(
    materialized='incremental',
    unique_key='invoice_id',
    pre_hook="{{ stripe_delete_changed('invoice', 'invoice_id') }}"
) }}
{%- set p = json_doc('payload') %}

with source as (
    select * from {{ source('stripe', 'invoice') }}
    where not is_deleted{{ stripe_changed_since() }}
),

renamed as (
    select
        id as invoice_id,
        account as account_id,
        {{ json_id(p, 'customer') }} as customer_id,
        -- 2025-03-31.basil moved `subscription` under `parent.subscription_details`.
        coalesce({{ json_id(p, 'parent.subscription_details.subscription') }},
                 {{ json_id(p, 'subscription') }}) as subscription_id,
        {{ json_text(p, 'parent.type') }} as parent_type,
        {{ json_id(p, 'transfer_data.destination') }} as destination_account_id,
        {{ json_id(p, 'on_behalf_of') }} as on_behalf_of_account_id,
        {{ json_text(p, 'number') }} as invoice_number,
        {{ json_text(p, 'status') }} as status,
        {{ json_text(p, 'billing_reason') }} as billing_reason,
        {{ json_text(p, 'collection_method') }} as collection_method,
        upper({{ json_text(p, 'currency') }}) as currency,
        {{ json_int(p, 'subtotal') }} as subtotal,
        {{ json_int(p, 'subtotal_excluding_tax') }} as subtotal_excluding_tax,
        {{ json_int(p, 'total') }} as total,
        {{ json_int(p, 'total_excluding_tax') }} as total_excluding_tax,
        {{ json_int(p, 'tax') }} as legacy_tax,
        {{ json_int(p, 'amount_due') }} as amount_due,
        {{ json_int(p, 'amount_paid') }} as amount_paid,
        {{ json_int(p, 'amount_remaining') }} as amount_remaining,
        {{ json_int(p, 'starting_balance') }} as starting_balance,
        {{ json_int(p, 'ending_balance') }} as ending_balance,
        {{ json_int(p, 'attempt_count') }} as attempt_count,
        -- Before 2025-03-31.basil an invoice named its `charge` and `payment_intent` directly;
        -- since then they come through invoice_payment objects.
        {{ json_id(p, 'charge') }} as legacy_charge_id,
        {{ json_id(p, 'payment_intent') }} as legacy_payment_intent_id,
        {{ json_text(p, 'customer_address.country') }} as customer_country,
        {{ json_text(p, 'customer_tax_exempt') }} as customer_tax_exempt,
        {{ epoch_to_ts('created') }} as created_at,
        {{ epoch_to_ts(json_int(p, 'period_start')) }} as period_start_at,
        {{ epoch_to_ts(json_int(p, 'period_end')) }} as period_end_at,
        {{ epoch_to_ts(json_int(p, 'due_date')) }} as due_at,
        {{ epoch_to_ts(json_int(p, 'effective_at')) }} as effective_at,
        {{ epoch_to_ts(json_int(p, 'status_transitions.finalized_at')) }} as finalized_at,
        {{ epoch_to_ts(json_int(p, 'status_transitions.paid_at')) }} as paid_at,
        {{ epoch_to_ts(json_int(p, 'status_transitions.voided_at')) }} as voided_at,
        {{ epoch_to_ts(json_int(p, 'status_transitions.marked_uncollectible_at')) }} as marked_uncollectible_at,
        livemode as is_livemode,
        -- `total_taxes` (2025-03-31.basil) replaced `total_tax_amounts`; either may be present
        {{ stripe_array_sum('payload', 'total_taxes', 'amount') }} as total_taxes_amount,
        {{ stripe_array_sum('payload', 'total_tax_amounts', 'amount') }} as legacy_total_tax_amount,
        {{ stripe_array_sum('payload', 'total_discount_amounts', 'amount') }} as total_discount_amount,
        synced_at
    from {{ json_doc_from(p, 'source') }}
),

final as (
    select
        renamed.invoice_id,
        renamed.account_id,
        renamed.customer_id,
        renamed.subscription_id,
        renamed.parent_type,
        renamed.destination_account_id,
        renamed.on_behalf_of_account_id,
        renamed.invoice_number,
        renamed.status,
        renamed.billing_reason,
        renamed.collection_method,
        renamed.currency,
        renamed.subtotal,
        renamed.subtotal_excluding_tax,
        renamed.total,
        renamed.total_excluding_tax,
        coalesce(renamed.total_taxes_amount, renamed.legacy_total_tax_amount, renamed.legacy_tax, 0) as tax_amount,
        coalesce(renamed.total_discount_amount, 0) as discount_amount,
        renamed.amount_due,
        renamed.amount_paid,
        renamed.amount_remaining,
        renamed.starting_balance,
        renamed.ending_balance,
        renamed.attempt_count,
        renamed.legacy_charge_id,
        renamed.legacy_payment_intent_id,
        renamed.customer_country,
        renamed.customer_tax_exempt,
        renamed.created_at,
        renamed.period_start_at,
        renamed.period_end_at,
        renamed.due_at,
        renamed.effective_at,
        renamed.finalized_at,
        renamed.paid_at,
        renamed.voided_at,
        renamed.marked_uncollectible_at,
        renamed.is_livemode,
        renamed.synced_at
    from renamed
)

select * from final
