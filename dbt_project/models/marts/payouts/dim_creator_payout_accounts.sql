{#-
  Each creator's payout settings as Stripe holds them on the connected account: schedule (interval
  and anchors, list forms as JSON text), verification (details submitted, disabled reason, past-due
  requirements), payouts_enabled. The payout plan turns these into its schedule and account holds.
  The scalars come from one parse of each account's JSON (json_doc: Connect accounts are large
  documents, and eleven parses of each took 0.4 s of large's day); the three lists stay JSON text.
-#}
{%- set p = json_doc('payload') -%}
with accounts as (
    select * from {{ source('stripe', 'account') }}
    where not is_deleted
),

final as (
    select
        accounts.id as creator_account_id,
        {{ json_bool(p, 'payouts_enabled') }} as is_payouts_enabled,
        {{ json_bool(p, 'details_submitted') }} as is_details_submitted,
        {{ json_text(p, 'requirements.disabled_reason') }} as disabled_reason,
        cast({{ json_get('accounts.payload', 'requirements.past_due') }} as varchar) as past_due_requirements,
        {{ json_text(p, 'settings.payouts.schedule.interval') }} as schedule_interval,
        {{ json_text(p, 'settings.payouts.schedule.weekly_anchor') }} as schedule_weekly_anchor,
        {{ json_int(p, 'settings.payouts.schedule.monthly_anchor') }} as schedule_monthly_anchor,
        cast({{ json_get('accounts.payload', 'settings.payouts.schedule.weekly_payout_days') }} as varchar) as schedule_weekly_payout_days,
        cast({{ json_get('accounts.payload', 'settings.payouts.schedule.monthly_payout_days') }} as varchar) as schedule_monthly_payout_days,
        {{ json_int(p, 'settings.payouts.schedule.delay_days') }} as schedule_delay_days,
        upper({{ json_text(p, 'default_currency') }}) as default_currency
    from {{ json_doc_from(p, 'accounts') }}
    where accounts.account is null and accounts.id like 'acct_%'
)

select * from final
