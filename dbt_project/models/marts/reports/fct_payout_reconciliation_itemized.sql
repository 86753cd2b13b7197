{#-
  Stripe's payout reconciliation, itemized: each automatic payout with the balance transactions it
  settled. An automatic payout sweeps what became available since the previous automatic payout
  of the same account and currency, so a transaction belongs to the first automatic payout created
  at or after its available_on moment. Manual payouts are listed with no items.
-#}
with transactions as (
    select * from {{ ref('fct_balance_transactions') }}
),

payouts as (
    select
        transactions.balance_account,
        transactions.currency,
        payouts.payout_id,
        payouts.is_automatic,
        payouts.status as payout_status,
        payouts.arrival_date,
        transactions.created_at as payout_created_at,
        -transactions.amount as payout_amount,
        lag(case when payouts.is_automatic then transactions.created_at end) over (
            partition by transactions.balance_account, transactions.currency, payouts.is_automatic
            order by transactions.created_at, payouts.payout_id
        ) as previous_payout_created_at
    from transactions
    inner join {{ ref('stg_stripe__payouts') }} as payouts on payouts.payout_id = transactions.payout_id
    where transactions.reporting_category = 'payout'
),

items as (
    select
        payouts.payout_id,
        transactions.balance_transaction_id,
        transactions.created_at,
        transactions.available_on_at,
        transactions.reporting_category,
        transactions.balance_transaction_type,
        transactions.amount,
        transactions.fee,
        transactions.net,
        transactions.source_id,
        transactions.charge_id,
        transactions.creator_account_id
    from payouts
    inner join transactions
        on transactions.balance_account = payouts.balance_account
        and transactions.currency = payouts.currency
        and transactions.reporting_category not in ('payout', 'payout_reversal')
        and transactions.available_on_at <= payouts.payout_created_at
        and (payouts.previous_payout_created_at is null or transactions.available_on_at > payouts.previous_payout_created_at)
    where payouts.is_automatic
),

final as (
    select
        payouts.balance_account,
        payouts.currency,
        payouts.payout_id,
        payouts.is_automatic,
        payouts.payout_status,
        payouts.payout_created_at,
        payouts.arrival_date,
        cast(payouts.payout_amount as bigint) as payout_amount,
        items.balance_transaction_id,
        items.created_at,
        items.available_on_at,
        items.reporting_category,
        items.balance_transaction_type,
        items.amount,
        items.fee,
        items.net,
        items.source_id,
        items.charge_id,
        items.creator_account_id
    from payouts
    left join items on items.payout_id = payouts.payout_id
)

select * from final
