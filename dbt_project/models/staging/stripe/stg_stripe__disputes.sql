{{ config(
    materialized='incremental',
    unique_key='dispute_id',
    pre_hook="{{ stripe_delete_changed('dispute', 'dispute_id') }}"
) }}
{%- set p = json_doc('payload') %}

with source as (
    select * from {{ source('stripe', 'dispute') }}
    where not is_deleted{{ stripe_changed_since() }}
),

renamed as (
    select
        id as dispute_id,
        account as account_id,
        {{ epoch_to_ts('created') }} as created_at,
        {{ json_int(p, 'amount') }} as amount,
        upper({{ json_text(p, 'currency') }}) as currency,
        {{ json_text(p, 'status') }} as status,
        {{ json_text(p, 'reason') }} as reason,
        {{ stripe_id(p, 'charge') }} as charge_id,
        {{ stripe_id(p, 'payment_intent') }} as payment_intent_id,
        {{ json_bool(p, 'is_charge_refundable') }} as is_charge_refundable,
        {{ epoch_to_ts(json_int(p, 'evidence_details.due_by')) }} as evidence_due_at,
        {{ json_int(p, 'evidence_details.submission_count') }} as evidence_submission_count,
        {{ json_text(p, 'payment_method_details.type') }} as payment_method_type,
        synced_at
    from {{ json_doc_from(p, 'source') }}
),

final as (
    select * from renamed
)

select * from final
