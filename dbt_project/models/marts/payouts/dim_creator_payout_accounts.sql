{#-
  Each creator's payout settings as Stripe holds them on the connected account: schedule (interval
  and anchors, list forms as JSON text), verification (details submitted, disabled reason, past-due
  requirements), payouts_enabled. The payout plan turns these into its schedule and account holds.
-#}
with accounts as (
    select * from {{ source('stripe', 'account') }}
    where not is_deleted
),

final as (
    select
        accounts.id as creator_account_id,
        {{ json_bool('accounts.payload', 'payouts_enabled') }} as is_payouts_enabled,
        {{ json_bool('accounts.payload', 'details_submitted') }} as is_details_submitted,
        {{ json_text('accounts.payload', 'requirements.disabled_reason') }} as disabled_reason,
        cast({{ json_get('accounts.payload', 'requirements.past_due') }} as varchar) as past_due_requirements,
        {{ json_text('accounts.payload', 'settings.payouts.schedule.interval') }} as schedule_interval,
        {{ json_text('accounts.payload', 'settings.payouts.schedule.weekly_anchor') }} as schedule_weekly_anchor,
        {{ json_int('accounts.payload', 'settings.payouts.schedule.monthly_anchor') }} as schedule_monthly_anchor,
        cast({{ json_get('accounts.payload', 'settings.payouts.schedule.weekly_payout_days') }} as varchar) as schedule_weekly_payout_days,
        cast({{ json_get('accounts.payload', 'settings.payouts.schedule.monthly_payout_days') }} as varchar) as schedule_monthly_payout_days,
        {{ json_int('accounts.payload', 'settings.payouts.schedule.delay_days') }} as schedule_delay_days,
        upper({{ json_text('accounts.payload', 'default_currency') }}) as default_currency
    from accounts
    where accounts.account is null and accounts.id like 'acct_%'
)

select * from final
