{#-
  MRR per month, customer, creator, subscription and currency (DESIGN section 9): the service
  periods [start, end) that contain the month's snapshot moment (the last moment before
  snapshot_at), summed exactly and rounded half-up to minor units once. Zero rows are kept (trials,
  100% discounts): they are subscribed but not paying.
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
        periods.invoice_line_id
    from months
    inner join periods
        on periods.period_start_at < months.snapshot_at
       and periods.period_end_at >= months.snapshot_at
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
    from covering
    group by month, customer_id, creator_account_id, subscription_id, currency
)

select * from final
