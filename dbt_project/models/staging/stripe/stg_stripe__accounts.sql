{%- set p = json_doc('payload') -%}
with source as (
    select * from {{ source('stripe', 'account') }}
    where not is_deleted
),

renamed as (
    select
        id as account_id,
        {{ epoch_to_ts('created') }} as created_at,
        upper({{ json_text(p, 'country') }}) as country,
        upper({{ json_text(p, 'default_currency') }}) as default_currency,
        {{ json_text(p, 'business_type') }} as business_type,
        coalesce({{ json_text(p, 'type') }}, {{ json_text(p, 'controller.type') }}) as account_type,
        {{ json_text(p, 'business_profile.name') }} as business_name,
        {{ json_bool(p, 'charges_enabled') }} as is_charges_enabled,
        {{ json_bool(p, 'payouts_enabled') }} as is_payouts_enabled,
        {{ json_bool(p, 'details_submitted') }} as is_details_submitted,
        {{ json_text(p, 'requirements.disabled_reason') }} as requirements_disabled_reason,
        {{ json_text(p, 'settings.payouts.schedule.interval') }} as payout_schedule_interval,
        {{ json_int(p, 'settings.payouts.schedule.delay_days') }} as payout_schedule_delay_days,
        {{ json_text(p, 'settings.payouts.schedule.weekly_anchor') }} as payout_schedule_weekly_anchor,
        {{ json_int(p, 'settings.payouts.schedule.monthly_anchor') }} as payout_schedule_monthly_anchor,
        {{ json_get(p, 'metadata') }} as metadata,
        synced_at
    from {{ json_doc_from(p, 'source') }}
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
