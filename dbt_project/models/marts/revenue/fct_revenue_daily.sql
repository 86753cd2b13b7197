{#-
  The platform's revenue per day and settlement currency, classified by
  reporting_category (never `type`), with payment counts beside it. One row per (date, currency):
  amounts are never added across currencies; *_reporting columns are in the reporting currency.
  Identity: platform_net_revenue = gross_volume + refunds + dispute_losses + dispute_reversals
  + application_fees + transfers_to_creators + other_activity - stripe_fees.
-#}
{%- set measures = [
    ('gross_volume', "reporting_category = 'charge'", 'amount'),
    ('refunds', "reporting_category in ('refund', 'refund_failure')", 'amount'),
    ('dispute_losses', "reporting_category = 'dispute'", 'amount'),
    ('dispute_reversals', "reporting_category = 'dispute_reversal'", 'amount'),
    ('application_fees', "reporting_category in ('platform_earning', 'platform_earning_refund')", 'amount'),
    ('transfers_to_creators', "reporting_category in ('transfer', 'transfer_reversal')", 'amount'),
    ('other_activity', "reporting_category not in ('charge', 'refund', 'refund_failure', 'dispute', 'dispute_reversal', 'platform_earning', 'platform_earning_refund', 'transfer', 'transfer_reversal', 'fee', 'payout', 'payout_reversal', 'payout_minimum_balance_hold', 'payout_minimum_balance_release', 'topup', 'topup_reversal')", 'amount'),
] -%}
{%- set payout_categories = "('payout', 'payout_reversal', 'payout_minimum_balance_hold', 'payout_minimum_balance_release', 'topup', 'topup_reversal')" -%}

with platform as (
    select * from {{ ref('fct_balance_transactions') }}
    where is_platform
),

money as (
    select
        created_date as revenue_date,
        currency,
        {%- for name, condition, col in measures %}
        sum(case when {{ condition }} then {{ col }} else 0 end) as {{ name }},
        sum(case when {{ condition }} then {{ col }}_reporting else 0 end) as {{ name }}_reporting,
        {%- endfor %}
        sum(case when reporting_category not in {{ payout_categories }} then fee else 0 end)
            - sum(case when reporting_category = 'fee' then amount else 0 end) as stripe_fees,
        sum(case when reporting_category not in {{ payout_categories }} then fee_reporting else 0 end)
            - sum(case when reporting_category = 'fee' then amount_reporting else 0 end) as stripe_fees_reporting,
        sum(case when reporting_category not in {{ payout_categories }} then net else 0 end) as platform_net_revenue,
        sum(case when reporting_category not in {{ payout_categories }} then net_reporting else 0 end) as platform_net_revenue_reporting,
        sum(case when reporting_category in ('payout', 'payout_reversal') then amount else 0 end) as payouts,
        0 as successful_payments,
        0 as failed_payments
    from platform
    group by created_date, currency
),

payments as (
    select
        {{ day_of('created_at') }} as revenue_date,
        currency,
        {%- for name, condition, col in measures %}
        0 as {{ name }},
        0 as {{ name }}_reporting,
        {%- endfor %}
        0 as stripe_fees,
        0 as stripe_fees_reporting,
        0 as platform_net_revenue,
        0 as platform_net_revenue_reporting,
        0 as payouts,
        sum(case when status = 'succeeded' then 1 else 0 end) as successful_payments,
        sum(case when status = 'failed' then 1 else 0 end) as failed_payments
    from {{ ref('int_payments__charges') }}
    where account_id is null
    group by {{ day_of('created_at') }}, currency
),

combined as (
    select * from money
    union all
    select * from payments
),

final as (
    select
        revenue_date,
        currency,
        {%- for name, condition, col in measures %}
        cast(sum({{ name }}) as bigint) as {{ name }},
        {%- endfor %}
        cast(sum(stripe_fees) as bigint) as stripe_fees,
        cast(sum(platform_net_revenue) as bigint) as platform_net_revenue,
        cast(sum(payouts) as bigint) as payouts,
        cast(sum(successful_payments) as bigint) as successful_payments,
        cast(sum(failed_payments) as bigint) as failed_payments,
        '{{ var("reporting_currency") }}' as reporting_currency,
        {%- for name, condition, col in measures %}
        cast(sum({{ name }}_reporting) as bigint) as {{ name }}_reporting,
        {%- endfor %}
        cast(sum(stripe_fees_reporting) as bigint) as stripe_fees_reporting,
        cast(sum(platform_net_revenue_reporting) as bigint) as platform_net_revenue_reporting
    from combined
    group by revenue_date, currency
)

select * from final
