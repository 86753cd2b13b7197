{#- The balance ledger: each account's (platform and connected) balance movements per day,
    currency and reporting category. Net is what moved the balance (amount - fee). -#}
with transactions as (
    select * from {{ ref('int_balance__transactions') }}
),

final as (
    select
        balance_account,
        account_id,
        currency,
        {{ day_of('created_at') }} as activity_date,
        reporting_category,
        count(*) as transaction_count,
        sum(amount) as amount,
        sum(fee) as fee,
        sum(net) as net
    from transactions
    group by balance_account, account_id, currency, {{ day_of('created_at') }}, reporting_category
)

select * from final
