{%- set p = json_doc('payload') -%}
with source as (
    select * from {{ source('stripe', 'radar_early_fraud_warning') }}
    where not is_deleted
),

renamed as (
    select
        id as early_fraud_warning_id,
        account as account_id,
        {{ epoch_to_ts('created') }} as created_at,
        {{ stripe_id(p, 'charge') }} as charge_id,
        {{ stripe_id(p, 'payment_intent') }} as payment_intent_id,
        {{ json_text(p, 'fraud_type') }} as fraud_type,
        {{ json_bool(p, 'actionable') }} as is_actionable,
        synced_at
    from {{ json_doc_from(p, 'source') }}
),

final as (
    select * from renamed
)

select * from final
