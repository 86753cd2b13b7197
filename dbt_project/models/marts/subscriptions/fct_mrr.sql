{#-
  Monthly recurring revenue per month, customer, creator, subscription and currency, exactly as
  DESIGN section 9 defines it (see int_subscriptions__service_periods and __mrr_monthly). MRR in
  integer minor units of `currency`; mrr_reporting converts this row at the ECB rate of the
  snapshot day (sum the customer-level figures of fct_mrr_movements or the metrics marts for totals
  that reconcile with the movements).
-#}
{%- set reporting = var('reporting_currency') -%}
with mrr as (
    select * from {{ ref('int_subscriptions__mrr_monthly') }}
),

months as (
    select * from {{ ref('int_subscriptions__months') }}
),

rates as (
    select rate_date, currency, units_per_eur, reporting_units_per_eur
    from {{ ref('int_fx__daily_rates') }}
),

currencies as (
    select currency_code, exponent from {{ ref('currencies') }}
),

final as (
    select
        mrr.month,
        mrr.customer_id,
        mrr.creator_account_id,
        mrr.subscription_id,
        mrr.currency,
        mrr.mrr,
        mrr.mrr > 0 as is_paying,
        '{{ reporting }}' as reporting_currency,
        case
            when mrr.currency = '{{ reporting }}' then mrr.mrr
            else {{ convert_minor_cross('mrr.mrr', 'rates.reporting_units_per_eur', 'rates.units_per_eur', 'cur.exponent', 'rep.exponent') }}
        end as mrr_reporting,
        12 * mrr.mrr as arr,
        mrr.service_period_count,
        months.snapshot_at,
        months.is_complete as is_month_complete
    from mrr
    inner join months on months.month = mrr.month
    left join currencies as cur on cur.currency_code = mrr.currency
    left join currencies as rep on rep.currency_code = '{{ reporting }}'
    left join rates
        on rates.rate_date = cast(months.snapshot_at - interval '1 second' as date)
        and rates.currency = mrr.currency
)

select * from final
