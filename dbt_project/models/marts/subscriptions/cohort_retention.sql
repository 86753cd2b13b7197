{#-
  Cohorts of customers by first paid month (DESIGN section 9): for each cohort and each month since,
  how many of its customers still pay (logo retention) and how much MRR they bring compared with
  the MRR they started with (revenue retention), in the reporting currency.
-#}
with months as (
    select * from {{ ref('int_subscriptions__months') }}
),

accounts as (
    select * from {{ ref('int_subscriptions__mrr_accounts_monthly') }}
    where mrr_view = 'platform'
),

customer_months as (
    select month, customer_id, sum(mrr_reporting) as mrr_reporting
    from accounts
    where mrr > 0
    group by month, customer_id
),

cohorts as (
    select customer_id, min(month) as cohort_month
    from customer_months
    group by customer_id
),

cohort_sizes as (
    select
        cohorts.cohort_month,
        count(*) as cohort_customers,
        sum(customer_months.mrr_reporting) as cohort_new_mrr_reporting
    from cohorts
    inner join customer_months
        on customer_months.customer_id = cohorts.customer_id
        and customer_months.month = cohorts.cohort_month
    group by cohorts.cohort_month
),

retained as (
    select
        cohorts.cohort_month,
        customer_months.month,
        count(*) as retained_customers,
        sum(customer_months.mrr_reporting) as mrr_reporting
    from cohorts
    inner join customer_months on customer_months.customer_id = cohorts.customer_id
    group by cohorts.cohort_month, customer_months.month
),

grid as (
    select cohort_sizes.*, months.month, months.is_complete
    from cohort_sizes
    inner join months on months.month >= cohort_sizes.cohort_month
),

final as (
    select
        grid.cohort_month,
        grid.month,
        cast((extract(year from grid.month) - extract(year from grid.cohort_month)) * 12
            + extract(month from grid.month) - extract(month from grid.cohort_month) as integer) as months_since_first_paid,
        grid.is_complete as is_month_complete,
        '{{ var("reporting_currency") }}' as reporting_currency,
        grid.cohort_customers,
        coalesce(retained.retained_customers, 0) as retained_customers,
        {{ exact_ratio('coalesce(retained.retained_customers, 0)', 'grid.cohort_customers') }} as logo_retention,
        grid.cohort_new_mrr_reporting,
        coalesce(retained.mrr_reporting, 0) as mrr_reporting,
        {{ exact_ratio('coalesce(retained.mrr_reporting, 0)', 'grid.cohort_new_mrr_reporting') }} as revenue_retention
    from grid
    left join retained
        on retained.cohort_month = grid.cohort_month
        and retained.month = grid.month
)

select * from final
