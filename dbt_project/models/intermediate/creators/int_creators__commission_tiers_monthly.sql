{#-
  Each creator's commission tier for each month, decided by the active subscribers at the start of
  the month (DESIGN section 8): the tier whose [min, max] range holds the count.
  Months: those with a subscriber count (helper B's int_subscriptions__active_subscribers_monthly,
  `month` = the month whose start the count describes) and those with earnings activity; a month
  without a count has 0 active subscribers, hence the standard tier.
-#}
with active_subscribers as (
    select
        creator_account_id,
        cast(month as date) as month,
        cast(active_subscribers as bigint) as active_subscribers
    from {{ ref('int_subscriptions__active_subscribers_monthly') }}
),

activity_months as (
    select distinct creator_account_id, {{ month_start('created_at') }} as month
    from {{ ref('int_balance__transactions') }}
    where creator_account_id is not null
),

creator_months as (
    select creator_account_id, month from active_subscribers
    union
    select creator_account_id, month from activity_months
),

counted as (
    select
        creator_months.creator_account_id,
        creator_months.month,
        coalesce(active_subscribers.active_subscribers, 0) as active_subscribers_at_start
    from creator_months
    left join active_subscribers
        on active_subscribers.creator_account_id = creator_months.creator_account_id
        and active_subscribers.month = creator_months.month
),

final as (
    select
        counted.creator_account_id,
        counted.month,
        counted.active_subscribers_at_start,
        tiers.tier as commission_tier,
        tiers.commission_rate
    from counted
    inner join {{ ref('commission_tiers') }} as tiers
        on counted.active_subscribers_at_start >= tiers.min_active_subscribers
        and (tiers.max_active_subscribers is null or counted.active_subscribers_at_start <= tiers.max_active_subscribers)
)

select * from final
