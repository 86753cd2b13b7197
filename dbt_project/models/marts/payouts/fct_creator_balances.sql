{#-
  Each creator's balance per currency as of each day (the moment the day begins, 00:00 UTC),
  from the balance transactions on the creator's connected account: available (counts and has
  reached its available_on), pending (counts, not yet available), and what open disputes reserve.
  Days run from the creator-currency's first transaction to the last day on which anything
  counted or became available, so for any later day the last row holds (until new data lands).
  Traceable: fct_creator_balance_items holds the transactions, with counts_from_date and
  available_from_date; the sums here are over exactly those rows.
-#}
with items as (
    select * from {{ ref('fct_creator_balance_items') }}
),

movements as (
    select creator_account_id, currency, counts_from_date as movement_date,
           net as booked_change, 0 as available_change, 1 as transaction_change
    from items
    union all
    select creator_account_id, currency, available_from_date as movement_date,
           0 as booked_change, net as available_change, 0 as transaction_change
    from items
),

daily_movements as (
    select
        creator_account_id,
        currency,
        movement_date,
        sum(booked_change) as booked_change,
        sum(available_change) as available_change,
        sum(transaction_change) as transaction_change
    from movements
    group by creator_account_id, currency, movement_date
),

bounds as (
    select max(movement_date) as last_day from daily_movements
),

-- the balances after each day with movements, held until the day before the next one (the last
-- until the last day of all): a window over the days with movements, then each spread over its
-- days, instead of a window over every creator-day (1.05 M on large: 0.75 s -> 0.35 s)
cumulative as (
    select
        creator_account_id,
        currency,
        movement_date,
        lead(movement_date) over (partition by creator_account_id, currency order by movement_date) as next_date,
        sum(booked_change) over w as booked,
        sum(available_change) over w as available,
        sum(transaction_change) over w as transaction_count
    from daily_movements
    window w as (partition by creator_account_id, currency order by movement_date
                 rows between unbounded preceding and current row)
),

running as (
    select
        cumulative.creator_account_id,
        cumulative.currency,
        cast(days.day_ts as date) as balance_date,
        cumulative.booked,
        cumulative.available,
        cumulative.transaction_count
    from cumulative
    cross join bounds
    cross join generate_series(cast(cumulative.movement_date as timestamp),
                               cast(coalesce(cumulative.next_date - 1, bounds.last_day) as timestamp),
                               interval '1 day') as days(day_ts)
),

open_disputes as (
    select * from {{ ref('fct_creator_open_disputes') }}
    where reserve_amount > 0
),

reserves as (
    -- disputes open now (their last synced status), reserved from the day each was opened
    select
        running.creator_account_id,
        running.currency,
        running.balance_date,
        sum(open_disputes.reserve_amount) as reserved_for_disputes,
        count(*) as open_dispute_count,
        string_agg(open_disputes.dispute_id, ', ' order by open_disputes.dispute_id) as reserve_dispute_ids
    from running
    inner join open_disputes
        on open_disputes.creator_account_id = running.creator_account_id
        and open_disputes.currency = running.currency
        and {{ payouts_first_day_at_or_after('open_disputes.created_at') }} <= running.balance_date
    group by running.creator_account_id, running.currency, running.balance_date
),

final as (
    select
        running.creator_account_id,
        running.currency,
        running.balance_date,
        cast(running.available as bigint) as available,
        cast(running.booked - running.available as bigint) as pending,
        cast(running.booked as bigint) as total,
        cast(coalesce(reserves.reserved_for_disputes, 0) as bigint) as reserved,
        cast(running.available - coalesce(reserves.reserved_for_disputes, 0) as bigint) as available_after_reserve,
        coalesce(reserves.open_dispute_count, 0) as open_dispute_count,
        case
            when reserves.reserve_dispute_ids is not null
                then 'open disputes not yet recovered: ' || reserves.reserve_dispute_ids
        end as reserve_reason,
        cast(running.transaction_count as bigint) as transaction_count
    from running
    left join reserves
        on reserves.creator_account_id = running.creator_account_id
        and reserves.currency = running.currency
        and reserves.balance_date = running.balance_date
)

select * from final
