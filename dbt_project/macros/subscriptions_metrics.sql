{#-
  The SaaS metrics of DESIGN section 9 for one MRR view, shared by the platform mart
  (subscription_metrics_monthly, view `platform`) and its sibling by creator (view `creator`,
  grouped by creator_account_id). Money in integer minor units of the reporting currency; ratios
  as exact decimals; churn and contraction as positive amounts here.
-#}
{% macro subscription_metrics(mrr_view, by_creator) -%}
{%- set grain = 'month, creator_account_id' if by_creator else 'month' -%}
{%- set key_cols = 'creator_account_id' if by_creator else "cast(null as varchar) as creator_account_id" -%}
with months as (
    select * from {{ ref('int_subscriptions__months') }}
),

accounts as (
    select * from {{ ref('int_subscriptions__mrr_accounts_monthly') }}
    where mrr_view = '{{ mrr_view }}'
),

movements as (
    select * from {{ ref('fct_mrr_movements') }}
    where mrr_view = '{{ mrr_view }}'
),

scopes as (
    {%- if by_creator %}
    select months.month, creators.creator_account_id
    from months
    inner join (
        select creator_account_id, min(first_paid_month) as first_month
        from accounts
        group by creator_account_id
    ) as creators on months.month >= creators.first_month
    {%- else %}
    select month, cast(null as varchar) as creator_account_id from months
    {%- endif %}
),

totals as (
    select
        {{ grain }},
        sum(case when mrr > 0 then mrr_reporting else 0 end) as mrr_reporting,
        count(distinct case when mrr > 0 then customer_id end) as paying_customers,
        count(distinct case when prev_mrr > 0 then customer_id end) as customers_at_start,
        sum(case when prev_mrr > 0 then prev_mrr_reporting else 0 end) as start_mrr_reporting
    from accounts
    group by {{ grain }}
),

moves as (
    select
        {{ grain }},
        sum(case when movement_type = 'new' then mrr_change_reporting else 0 end) as new_mrr_reporting,
        sum(case when movement_type = 'expansion' then mrr_change_reporting else 0 end) as expansion_mrr_reporting,
        -sum(case when movement_type = 'contraction' then mrr_change_reporting else 0 end) as contraction_mrr_reporting,
        -sum(case when movement_type = 'churn' then mrr_change_reporting else 0 end) as churn_mrr_reporting,
        sum(case when movement_type = 'reactivation' then mrr_change_reporting else 0 end) as reactivation_mrr_reporting,
        sum(case when movement_type = 'fx' then mrr_change_reporting else 0 end) as fx_mrr_reporting,
        count(distinct case when movement_type = 'new' then customer_id end) as new_customers,
        count(distinct case when movement_type = 'churn' then customer_id end) as churned_customers,
        count(distinct case when movement_type = 'reactivation' then customer_id end) as reactivated_customers
    from movements
    group by {{ grain }}
),

subscriptions as (
    select
        subscription_id,
        coalesce(destination_account_id, '') as creator_key,
        trial_end_at
    from {{ ref('stg_stripe__subscriptions') }}
    where trial_end_at is not null
),

paid_invoices as (
    select invoice_id, subscription_id, created_at, paid_at, amount_paid, attempt_count, destination_account_id
    from {{ ref('stg_stripe__invoices') }}
    where status = 'paid'
),

converted_trials as (
    -- a trial converts when a paid invoice with money in it follows its end
    select distinct subscriptions.subscription_id
    from subscriptions
    inner join paid_invoices
        on paid_invoices.subscription_id = subscriptions.subscription_id
        and paid_invoices.created_at >= subscriptions.trial_end_at
        and paid_invoices.amount_paid > 0
),

trials as (
    select
        {{ month_start('subscriptions.trial_end_at') }} as month,
        subscriptions.creator_key,
        count(*) as trials_ended,
        count(converted_trials.subscription_id) as trial_conversions
    from subscriptions
    left join converted_trials on converted_trials.subscription_id = subscriptions.subscription_id
    cross join (select max(snapshot_at) as as_of from months) as bounds
    where subscriptions.trial_end_at < bounds.as_of
    group by {{ month_start('subscriptions.trial_end_at') }}, subscriptions.creator_key
),

dunning as (
    select
        {{ month_start('paid_invoices.paid_at') }} as month,
        coalesce(paid_invoices.destination_account_id, subs.destination_account_id, '') as creator_key,
        count(*) as dunning_recoveries
    from paid_invoices
    left join {{ ref('stg_stripe__subscriptions') }} as subs on subs.subscription_id = paid_invoices.subscription_id
    where paid_invoices.attempt_count > 1
    group by {{ month_start('paid_invoices.paid_at') }}, coalesce(paid_invoices.destination_account_id, subs.destination_account_id, '')
),

trials_scoped as (
    select month, {{ "creator_key as creator_account_id" if by_creator else "cast(null as varchar) as creator_account_id" }},
           sum(trials_ended) as trials_ended, sum(trial_conversions) as trial_conversions
    from trials
    group by month{{ ', creator_key' if by_creator }}
),

dunning_scoped as (
    select month, {{ "creator_key as creator_account_id" if by_creator else "cast(null as varchar) as creator_account_id" }},
           sum(dunning_recoveries) as dunning_recoveries
    from dunning
    group by month{{ ', creator_key' if by_creator }}
),

joined as (
    select
        scopes.month,
        scopes.creator_account_id,
        months.is_complete,
        coalesce(totals.mrr_reporting, 0) as mrr_reporting,
        coalesce(totals.paying_customers, 0) as paying_customers,
        coalesce(totals.customers_at_start, 0) as customers_at_start,
        coalesce(totals.start_mrr_reporting, 0) as start_mrr_reporting,
        coalesce(moves.new_mrr_reporting, 0) as new_mrr_reporting,
        coalesce(moves.expansion_mrr_reporting, 0) as expansion_mrr_reporting,
        coalesce(moves.contraction_mrr_reporting, 0) as contraction_mrr_reporting,
        coalesce(moves.churn_mrr_reporting, 0) as churn_mrr_reporting,
        coalesce(moves.reactivation_mrr_reporting, 0) as reactivation_mrr_reporting,
        coalesce(moves.fx_mrr_reporting, 0) as fx_mrr_reporting,
        coalesce(moves.new_customers, 0) as new_customers,
        coalesce(moves.churned_customers, 0) as churned_customers,
        coalesce(moves.reactivated_customers, 0) as reactivated_customers,
        coalesce(trials_scoped.trials_ended, 0) as trials_ended,
        coalesce(trials_scoped.trial_conversions, 0) as trial_conversions,
        coalesce(dunning_scoped.dunning_recoveries, 0) as dunning_recoveries
    from scopes
    inner join months on months.month = scopes.month
    left join totals
        on totals.month = scopes.month {% if by_creator %}and totals.creator_account_id = scopes.creator_account_id{% endif %}
    left join moves
        on moves.month = scopes.month {% if by_creator %}and moves.creator_account_id = scopes.creator_account_id{% endif %}
    left join trials_scoped
        on trials_scoped.month = scopes.month {% if by_creator %}and trials_scoped.creator_account_id = scopes.creator_account_id{% endif %}
    left join dunning_scoped
        on dunning_scoped.month = scopes.month {% if by_creator %}and dunning_scoped.creator_account_id = scopes.creator_account_id{% endif %}
),

rates as (
    select
        *,
        {{ exact_ratio('churned_customers', 'customers_at_start') }} as customer_churn_rate,
        {{ exact_ratio('churn_mrr_reporting + contraction_mrr_reporting', 'start_mrr_reporting') }} as gross_mrr_churn_rate,
        {{ exact_ratio('churn_mrr_reporting + contraction_mrr_reporting - expansion_mrr_reporting - reactivation_mrr_reporting', 'start_mrr_reporting') }} as net_mrr_churn_rate,
        {{ exact_ratio('new_mrr_reporting + expansion_mrr_reporting + reactivation_mrr_reporting', 'churn_mrr_reporting + contraction_mrr_reporting') }} as quick_ratio,
        {{ exact_ratio('mrr_reporting', 'paying_customers') }} as arpa_exact,
        {{ exact_ratio('trial_conversions', 'trials_ended') }} as trial_conversion_rate
    from joined
),

churn_window as (
    -- the mean monthly customer churn of the last six full months (this one included when full)
    select
        current_month.month,
        current_month.creator_account_id,
        count(past.customer_churn_rate) as churn_months,
        sum(past.customer_churn_rate) as churn_rate_sum
    from rates as current_month
    left join rates as past
        on past.month <= current_month.month
        and past.month > cast(current_month.month - interval '6 months' as date)
        and past.is_complete
        and past.customer_churn_rate is not null
        {% if by_creator %}and past.creator_account_id = current_month.creator_account_id{% endif %}
    group by current_month.month, current_month.creator_account_id
),

final as (
    select
        rates.month,
        {% if by_creator %}rates.creator_account_id,{% endif %}
        '{{ var("reporting_currency") }}' as reporting_currency,
        rates.is_complete as is_month_complete,
        rates.mrr_reporting,
        12 * rates.mrr_reporting as arr_reporting,
        rates.paying_customers,
        rates.customers_at_start,
        rates.start_mrr_reporting,
        rates.new_mrr_reporting,
        rates.expansion_mrr_reporting,
        rates.contraction_mrr_reporting,
        rates.churn_mrr_reporting,
        rates.reactivation_mrr_reporting,
        rates.fx_mrr_reporting,
        rates.new_customers,
        rates.churned_customers,
        rates.reactivated_customers,
        rates.customer_churn_rate,
        rates.gross_mrr_churn_rate,
        rates.net_mrr_churn_rate,
        cast(1 - rates.net_mrr_churn_rate as decimal(38, 12)) as net_revenue_retention,
        rates.quick_ratio,
        {{ mrr_round('rates.arpa_exact') }} as arpa_reporting,
        churn_window.churn_months as ltv_churn_months,
        {{ exact_ratio('churn_window.churn_rate_sum', 'churn_window.churn_months') }} as mean_customer_churn_rate_6m,
        case when churn_window.churn_rate_sum > 0 then
            {{ mrr_round(exact_ratio('rates.arpa_exact * churn_window.churn_months', 'churn_window.churn_rate_sum')) }}
        end as ltv_reporting,
        rates.trials_ended,
        rates.trial_conversions,
        rates.trial_conversion_rate,
        rates.dunning_recoveries
    from rates
    inner join churn_window
        on churn_window.month = rates.month
        {% if by_creator %}and churn_window.creator_account_id = rates.creator_account_id{% endif %}
)

select * from final
{%- endmacro %}
