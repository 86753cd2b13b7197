{#-
  Every payout on a creator's connected account, with the bank account it went to and, for a
  failed one, Stripe's failure code: the payout plan holds a creator whose latest payout failed
  to a bank account that has not changed, and carries the code into the next plan.
-#}
with payouts as (
    select * from {{ ref('stg_stripe__payouts') }}
    where account_id is not null
),

final as (
    select
        payout_id,
        account_id as creator_account_id,
        created_at,
        {{ day_of('created_at') }} as created_date,
        arrival_date,
        amount,
        currency,
        status,
        payout_method,
        is_automatic,
        destination_id,
        failure_code,
        balance_transaction_id,
        failure_balance_transaction_id,
        status = 'failed' as is_failed
    from payouts
)

select * from final
