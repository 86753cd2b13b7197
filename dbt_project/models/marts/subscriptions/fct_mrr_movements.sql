{#-
  MRR movements per month (DESIGN section 9): new, expansion, contraction, churn, reactivation,
  first match wins, per customer (mrr_view = platform) and per customer of a creator
  (mrr_view = creator), in the customer's currency; and `fx`, the change in the reporting currency
  that is only the exchange rate (last month's MRR revalued at this month's rate). Signed: churn
  and contraction are negative. For each view, month and account:
  mrr_reporting(month) - mrr_reporting(month before) = sum of mrr_change_reporting, to the cent.
-#}
with accounts as (
    select * from {{ ref('int_subscriptions__mrr_accounts_monthly') }}
),

recurring_moves as (
    select
        month, mrr_view, mrr_account_key, customer_id, creator_account_id, currency, reporting_currency,
        movement_type,
        mrr - prev_mrr as mrr_change,
        case
            when movement_type in ('new', 'reactivation') then mrr_reporting
            when movement_type = 'churn' then -prev_mrr_reporting
            else mrr_reporting - prev_mrr_reporting_at_current_rate
        end as mrr_change_reporting,
        prev_mrr as mrr_before,
        mrr as mrr_after,
        prev_mrr_reporting as mrr_before_reporting,
        mrr_reporting as mrr_after_reporting
    from accounts
    where movement_type is not null
),

fx_moves as (
    select
        month, mrr_view, mrr_account_key, customer_id, creator_account_id, currency, reporting_currency,
        'fx' as movement_type,
        cast(0 as bigint) as mrr_change,
        prev_mrr_reporting_at_current_rate - prev_mrr_reporting as mrr_change_reporting,
        prev_mrr as mrr_before,
        mrr as mrr_after,
        prev_mrr_reporting as mrr_before_reporting,
        mrr_reporting as mrr_after_reporting
    from accounts
    where prev_mrr > 0 and mrr > 0
      and prev_mrr_reporting_at_current_rate <> prev_mrr_reporting
),

final as (
    select * from recurring_moves
    union all
    select * from fx_moves
)

select * from final
