{{ config(
    materialized='incremental',
    unique_key='invoice_payment_id',
    pre_hook="{{ stripe_delete_changed('invoice_payment', 'invoice_payment_id') }}"
) }}
{%- set p = json_doc('payload') %}

with source as (
    select * from {{ source('stripe', 'invoice_payment') }}
    where not is_deleted{{ stripe_changed_since() }}
),

renamed as (
    select
        id as invoice_payment_id,
        account as account_id,
        {{ json_id(p, 'invoice') }} as invoice_id,
        upper({{ json_text(p, 'currency') }}) as currency,
        {{ json_int(p, 'amount_paid') }} as amount_paid,
        {{ json_int(p, 'amount_requested') }} as amount_requested,
        {{ json_text(p, 'status') }} as status,
        {{ json_bool(p, 'is_default') }} as is_default,
        {{ json_text(p, 'payment.type') }} as payment_type,
        {{ json_id(p, 'payment.payment_intent') }} as payment_intent_id,
        {{ json_id(p, 'payment.charge') }} as charge_id,
        {{ epoch_to_ts('created') }} as created_at,
        {{ epoch_to_ts(json_int(p, 'status_transitions.paid_at')) }} as paid_at,
        {{ epoch_to_ts(json_int(p, 'status_transitions.canceled_at')) }} as canceled_at,
        livemode as is_livemode,
        synced_at
    from {{ json_doc_from(p, 'source') }}
),

final as (
    select * from renamed
)

select * from final
