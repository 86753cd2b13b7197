{#-
  MRR per month, customer, creator, subscription and currency (DESIGN section 9): the service
  periods [start, end) that contain the month's snapshot moment (the last moment before
  snapshot_at), summed exactly and rounded half-up to minor units once. Zero rows are kept (trials,
  100% discounts): they are subscribed but not paying.
  A proration credit (a proration line with a negative amount: "Unused time on X") reverses the
  line that billed price X for that period, scaled to a whole period; it counts only when such a
  line counts at the same moment (a line of the same subscription and price that is not a credit and
  started before the credit: the renewal, or the charge of an earlier change). When that line's
  invoice does not count (void: renewed while past due or paused; uncollectible), the credit
  reverses nothing and is left out, else MRR went below zero (a downgrade: -3000 + 1500) or an
  upgrade showed only its difference (-3000 + 5000).
-#}
with months as (
    select * from {{ ref('int_subscriptions__months') }}
),

periods as (
    select * from {{ ref('int_subscriptions__service_periods') }}
),

covering as (
    select
        months.month,
        periods.customer_id,
        periods.creator_account_id,
        periods.subscription_id,
        periods.currency,
        periods.mrr_exact,
        periods.invoice_line_id,
        periods.price_id,
        periods.period_start_at,
        coalesce(periods.is_proration, false) and periods.mrr_exact < 0 as is_credit
    from months
    inner join periods
        on periods.period_start_at < months.snapshot_at
       and periods.period_end_at >= months.snapshot_at
),

-- the first start of a line billing each price at the snapshot (renewals and charges, not credits)
billed as (
    select month, subscription_id, coalesce(price_id, '') as price_key, min(period_start_at) as first_start_at
    from covering
    where not is_credit
    group by month, subscription_id, coalesce(price_id, '')
),

counted as (
    select covering.*
    from covering
    left join billed
        on billed.month = covering.month
       and billed.subscription_id = covering.subscription_id
       and billed.price_key = coalesce(covering.price_id, '')
    where not covering.is_credit
       or billed.first_start_at < covering.period_start_at
),

final as (
    select
        month,
        customer_id,
        creator_account_id,
        subscription_id,
        currency,
        sum(mrr_exact) as mrr_exact,
        {{ mrr_round('sum(mrr_exact)') }} as mrr,
        count(*) as service_period_count
    from counted
    group by month, customer_id, creator_account_id, subscription_id, currency
)

select * from final
