with source as (
    select * from {{ source('stripe', 'account') }}
    where not is_deleted
),

renamed as (
    select
        id as account_id,
        {{ epoch_to_ts('created') }} as created_at,
        upper({{ json_text('payload', 'country') }}) as country,
        upper({{ json_text('payload', 'default_currency') }}) as default_currency,
        {{ json_text('payload', 'business_type') }} as business_type,
        coalesce({{ json_text('payload', 'type') }}, {{ json_text('payload', 'controller.type') }}) as account_type,
        {{ json_text('payload', 'business_profile.name') }} as business_name,
        {{ json_bool('payload', 'charges_enabled') }} as is_charges_enabled,
        {{ json_bool('payload', 'payouts_enabled') }} as is_payouts_enabled,
        {{ json_bool('payload', 'details_submitted') }} as is_details_submitted,
        {{ json_text('payload', 'requirements.disabled_reason') }} as requirements_disabled_reason,
        {{ json_text('payload', 'settings.payouts.schedule.interval') }} as payout_schedule_interval,
        {{ json_int('payload', 'settings.payouts.schedule.delay_days') }} as payout_schedule_delay_days,
        {{ json_text('payload', 'settings.payouts.schedule.weekly_anchor') }} as payout_schedule_weekly_anchor,
        {{ json_int('payload', 'settings.payouts.schedule.monthly_anchor') }} as payout_schedule_monthly_anchor,
        {{ json_get('payload', 'metadata') }} as metadata,
        synced_at
    from source
),

final as (
    select
        *,
        case
            when requirements_disabled_reason is not null then 'restricted'
            when is_charges_enabled and is_payouts_enabled then 'verified'
            else 'pending'
        end as verification_status
    from renamed
)

select * from final
