{#-
  Stripe's balance summary per account (platform and each creator), month and currency:
  starting balance + activity (before payouts) + payouts = ending balance. The balance is the sum
  of every balance transaction's net (pending and available). Months without any transaction
  are absent; the next month's starting balance is the last ending balance.
-#}
{%- set payout_categories = "('payout', 'payout_reversal', 'payout_minimum_balance_hold', 'payout_minimum_balance_release', 'topup', 'topup_reversal')" -%}
with ledger as (
    select * from {{ ref('int_balance__ledger_daily') }}
),

monthly as (
    select
        balance_account,
        account_id,
        {{ month_start('activity_date') }} as month,
        currency,
        sum(case when reporting_category = 'charge' then amount else 0 end) as charges,
        sum(case when reporting_category in ('refund', 'refund_failure') then amount else 0 end) as refunds,
        sum(case when reporting_category in ('dispute', 'dispute_reversal') then amount else 0 end) as disputes,
        sum(case when reporting_category in ('transfer', 'transfer_reversal') then amount else 0 end) as transfers,
        sum(case when reporting_category in ('platform_earning', 'platform_earning_refund') then amount else 0 end) as application_fees,
        sum(case when reporting_category not in {{ payout_categories }} then fee else 0 end) as fees,
        sum(case when reporting_category not in {{ payout_categories }} then net else 0 end) as activity_net,
        sum(case when reporting_category in {{ payout_categories }} then net else 0 end) as payouts
    from ledger
    group by balance_account, account_id, {{ month_start('activity_date') }}, currency
),

running as (
    select
        monthly.*,
        sum(activity_net + payouts) over (
            partition by balance_account, currency order by month
            rows between unbounded preceding and current row
        ) as ending_balance
    from monthly
),

final as (
    select
        balance_account,
        account_id,
        month,
        currency,
        cast(ending_balance - activity_net - payouts as bigint) as starting_balance,
        cast(charges as bigint) as charges,
        cast(refunds as bigint) as refunds,
        cast(disputes as bigint) as disputes,
        cast(transfers as bigint) as transfers,
        cast(application_fees as bigint) as application_fees,
        cast(fees as bigint) as fees,
        cast(activity_net as bigint) as activity_net,
        cast(payouts as bigint) as payouts,
        cast(ending_balance as bigint) as ending_balance
    from running
)

select * from final
