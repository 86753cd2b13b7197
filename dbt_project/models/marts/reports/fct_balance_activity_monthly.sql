{#- Stripe-style balance activity per account (platform and each creator), month, currency and
    reporting category: counts, gross amount, fees and net. -#}
with ledger as (
    select * from {{ ref('int_balance__ledger_daily') }}
),

final as (
    select
        balance_account,
        account_id,
        {{ month_start('activity_date') }} as month,
        currency,
        reporting_category,
        cast(sum(transaction_count) as bigint) as transaction_count,
        cast(sum(amount) as bigint) as gross_amount,
        cast(sum(fee) as bigint) as fee,
        cast(sum(net) as bigint) as net
    from ledger
    group by balance_account, account_id, {{ month_start('activity_date') }}, currency, reporting_category
)

select * from final
