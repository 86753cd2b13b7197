{#-
  Every balance transaction on a creator's connected account, with the day from which it counts
  in the balance and the day from which it is available: the traceable items behind
  fct_creator_balances. A balance "as of day D" is the balance when D begins (00:00 UTC).
  A view: the rows are fct_balance_transactions' own, with two day columns computed on read. As a
  table it rewrote 0.6 M rows each build (1.4-1.9 s of the large world's day build, bench/README
  session 10), for one reader in dbt and the payout assets' filtered reads.
-#}
{{ config(materialized='view') }}
with transactions as (
    select * from {{ ref('fct_balance_transactions') }}
    where account_id is not null
),

final as (
    select
        balance_transaction_id,
        account_id as creator_account_id,
        currency,
        reporting_category,
        balance_transaction_type,
        source_id,
        payout_id,
        dispute_id,
        charge_id,
        transfer_id,
        created_at,
        available_on_at,
        amount,
        fee,
        net,
        {{ payouts_first_day_at_or_after('created_at') }} as counts_from_date,
        {{ payouts_first_day_at_or_after('case when available_on_at > created_at then available_on_at else created_at end') }}
            as available_from_date
    from transactions
)

select * from final
