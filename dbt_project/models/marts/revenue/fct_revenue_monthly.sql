{#- The platform's revenue per month and currency: the daily mart summed within each currency. -#}
{%- set amount_columns = ['gross_volume', 'refunds', 'dispute_losses', 'dispute_reversals', 'application_fees',
                          'transfers_to_creators', 'other_activity', 'stripe_fees', 'platform_net_revenue',
                          'payouts', 'successful_payments', 'failed_payments'] -%}
{%- set reporting_columns = ['gross_volume', 'refunds', 'dispute_losses', 'dispute_reversals', 'application_fees',
                             'transfers_to_creators', 'other_activity', 'stripe_fees', 'platform_net_revenue'] -%}
with daily as (
    select * from {{ ref('fct_revenue_daily') }}
),

final as (
    select
        {{ month_start('revenue_date') }} as revenue_month,
        currency,
        {%- for c in amount_columns %}
        cast(sum({{ c }}) as bigint) as {{ c }},
        {%- endfor %}
        '{{ var("reporting_currency") }}' as reporting_currency,
        {%- for c in reporting_columns %}
        cast(sum({{ c }}_reporting) as bigint) as {{ c }}_reporting{{ "," if not loop.last }}
        {%- endfor %}
    from daily
    group by {{ month_start('revenue_date') }}, currency
)

select * from final
