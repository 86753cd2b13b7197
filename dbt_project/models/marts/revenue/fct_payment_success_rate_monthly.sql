{#- Payment success rate per month, presentment currency and payment method (charges that reached a
    final state: succeeded or failed; pending charges are left out until they settle). -#}
with charges as (
    select * from {{ ref('int_payments__charges') }}
    where account_id is null and status in ('succeeded', 'failed')
),

counted as (
    select
        {{ month_start('created_at') }} as payment_month,
        currency,
        payment_method_family,
        coalesce(payment_method_type, 'unknown') as payment_method_type,
        count(*) as attempted_payments,
        sum(case when status = 'succeeded' then 1 else 0 end) as successful_payments,
        sum(case when status = 'failed' then 1 else 0 end) as failed_payments
    from charges
    group by {{ month_start('created_at') }}, currency, payment_method_family, coalesce(payment_method_type, 'unknown')
),

final as (
    select
        payment_month,
        currency,
        payment_method_family,
        payment_method_type,
        cast(attempted_payments as bigint) as attempted_payments,
        cast(successful_payments as bigint) as successful_payments,
        cast(failed_payments as bigint) as failed_payments,
        round(cast(successful_payments as decimal(18, 6)) / attempted_payments, 6) as success_rate
    from counted
)

select * from final
