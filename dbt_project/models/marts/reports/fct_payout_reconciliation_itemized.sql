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

-- The payout of a transaction: the first automatic payout (by created_at, payout_id) of its
-- account and currency created at or after its available_on moment, which is the payout whose
-- window (previous automatic payout, this payout] holds that moment. Found with one ordered pass
-- over transactions and payouts per account and currency (a running minimum of the payouts'
-- sequence numbers from each row onwards; at equal moments transactions sort first, so a payout
-- created at that very moment takes them) instead of joining every payout to every transaction
-- of its account and filtering the window.
automatic_payouts as (
    select
        payouts.*,
        row_number() over (
            partition by balance_account, currency order by payout_created_at, payout_id
        ) as payout_seq
    from payouts
    where is_automatic
),

timeline as (
    select
        balance_account,
        currency,
        available_on_at as moment,
        0 as is_payout,
        balance_transaction_id,
        cast(null as {{ dbt.type_bigint() }}) as payout_seq
    from transactions
    where reporting_category not in ('payout', 'payout_reversal')
      and available_on_at is not null
    union all
    select balance_account, currency, payout_created_at, 1, payout_id, payout_seq
    from automatic_payouts
),

assigned as (
    select
        balance_account,
        currency,
        balance_transaction_id,
        is_payout,
        min(payout_seq) over (
            partition by balance_account, currency
            order by moment, is_payout, payout_seq
            rows between current row and unbounded following
        ) as payout_seq
    from timeline
),

items as (
    select
        automatic_payouts.payout_id,
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
    from assigned
    inner join automatic_payouts
        on automatic_payouts.balance_account = assigned.balance_account
        and automatic_payouts.currency = assigned.currency
        and automatic_payouts.payout_seq = assigned.payout_seq
    inner join transactions on transactions.balance_transaction_id = assigned.balance_transaction_id
    where assigned.is_payout = 0
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
