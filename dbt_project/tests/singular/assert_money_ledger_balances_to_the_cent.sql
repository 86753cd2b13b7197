-- Each account's balance in each currency (the last ending balance of the balance summary)
-- equals the sum of the nets of Stripe's own balance transactions, to the minor unit.
with ledger as (
    select balance_account, currency, ending_balance
    from (
        select
            balance_account,
            currency,
            ending_balance,
            row_number() over (partition by balance_account, currency order by month desc) as recency
        from {{ ref('fct_balance_summary_monthly') }}
    ) as ranked
    where recency = 1
),

stripe as (
    select coalesce(account_id, 'platform') as balance_account, currency, sum(net) as balance
    from {{ ref('stg_stripe__balance_transactions') }}
    group by coalesce(account_id, 'platform'), currency
)

select
    coalesce(ledger.balance_account, stripe.balance_account) as balance_account,
    coalesce(ledger.currency, stripe.currency) as currency,
    ledger.ending_balance,
    stripe.balance
from ledger
full outer join stripe
    on stripe.balance_account = ledger.balance_account
    and stripe.currency = ledger.currency
where ledger.ending_balance is null
   or stripe.balance is null
   or ledger.ending_balance <> stripe.balance
