with source as (
    select * from {{ source('stripe', 'radar_early_fraud_warning') }}
    where not is_deleted
),

renamed as (
    select
        id as early_fraud_warning_id,
        account as account_id,
        {{ epoch_to_ts('created') }} as created_at,
        {{ stripe_id('payload', 'charge') }} as charge_id,
        {{ stripe_id('payload', 'payment_intent') }} as payment_intent_id,
        {{ json_text('payload', 'fraud_type') }} as fraud_type,
        {{ json_bool('payload', 'actionable') }} as is_actionable,
        synced_at
    from source
),

final as (
    select * from renamed
)

select * from final
