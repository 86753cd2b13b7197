{#-
  Every balance transaction on a creator's connected account, with the day from which it counts
  in the balance and the day from which it is available: the traceable items behind
  fct_creator_balances. A balance "as of day D" is the balance when D begins (00:00 UTC).
-#}
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
