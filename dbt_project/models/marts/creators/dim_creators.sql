{#- One row per creator (connected account): where they are, whether Stripe verified them, how they
    are paid out, and their commission tier this month (history: dim_creator_tiers_monthly). -#}
with accounts as (
    select * from {{ ref('stg_stripe__accounts') }}
),

tiers as (
    select * from {{ ref('int_creators__commission_tiers_monthly') }}
),

latest_tier as (
    select creator_account_id, commission_tier, commission_rate, active_subscribers_at_start, month
    from (
        select
            tiers.*,
            row_number() over (partition by creator_account_id order by month desc) as recency
        from tiers
    ) as ranked
    where recency = 1
),

final as (
    select
        accounts.account_id as creator_account_id,
        accounts.created_at,
        accounts.business_name,
        accounts.business_type,
        accounts.account_type,
        accounts.country,
        accounts.default_currency,
        accounts.verification_status,
        accounts.is_charges_enabled,
        accounts.is_payouts_enabled,
        accounts.is_details_submitted,
        accounts.requirements_disabled_reason,
        accounts.payout_schedule_interval,
        accounts.payout_schedule_delay_days,
        accounts.payout_schedule_weekly_anchor,
        accounts.payout_schedule_monthly_anchor,
        coalesce(latest_tier.commission_tier, 'standard') as current_commission_tier,
        latest_tier.commission_rate as current_commission_rate,
        latest_tier.month as current_tier_month,
        latest_tier.active_subscribers_at_start as current_active_subscribers_at_start
    from accounts
    left join latest_tier on latest_tier.creator_account_id = accounts.account_id
)

select * from final
