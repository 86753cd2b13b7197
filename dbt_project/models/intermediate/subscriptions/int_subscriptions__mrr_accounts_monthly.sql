{#-
  The MRR of each "account" in each month, in two views (DESIGN section 9): `platform` (a customer)
  and `creator` (a customer of one creator), per currency, with last month's MRR beside it and the
  reporting-currency values the movements need. Dense where it matters: a row for every paying
  month and for the month after it (where a churn shows). Paying means MRR > 0 at the snapshot.
  Reporting values convert at the ECB rate of the snapshot day (int_fx__daily_rates); `prev_mrr_
  reporting_at_current_rate` revalues last month's MRR at this month's rate, so that the change
  that is only FX can be told apart.
  Incremental by month and account (macros/mrr_accounts.sql): the pre-hook deletes every row a
  full build would change (the months from the one still running at the previous build, the
  months and accounts whose paying MRR or first paid month changed), this select adds the rows
  the table does not hold.
-#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    pre_hook="{{ mrr_accounts_delete_changed() }}"
) }}
{%- set reporting = var('reporting_currency') -%}
with months as (
    select * from {{ ref('int_subscriptions__months') }}
),

paying as (
    {{ mrr_accounts_paying() }}
),

firsts as (
    select mrr_account_key, min(month) as first_paid_month
    from paying
    group by mrr_account_key
),

candidate_months as (
    select mrr_account_key, mrr_view, customer_id, creator_account_id, currency, month from paying
    union all
    select paying.mrr_account_key, paying.mrr_view, paying.customer_id, paying.creator_account_id, paying.currency,
           cast(paying.month + interval '1 month' as date) as month
    from paying
    inner join months on months.month = cast(paying.month + interval '1 month' as date)
),

-- a paying month and the month after the one before it are the same row: distinct once, after the
-- table's rows are left out (on the large world's day, a hash of 0.3 M rows instead of 1.9 M)
missing_months as (
    select distinct candidate_months.*
    from candidate_months
    {%- if is_incremental() %}
    left join {{ this }} as held
        on held.month = candidate_months.month
        and held.mrr_account_key = candidate_months.mrr_account_key
    where held.month is null
    {%- endif %}
),

with_prev as (
    select
        candidate_months.month,
        candidate_months.mrr_view,
        candidate_months.mrr_account_key,
        candidate_months.customer_id,
        candidate_months.creator_account_id,
        candidate_months.currency,
        firsts.first_paid_month,
        coalesce(now_paying.mrr, 0) as mrr,
        coalesce(prev_paying.mrr, 0) as prev_mrr,
        cast(months.snapshot_at - interval '1 second' as date) as rate_date,
        cast(prev_months.snapshot_at - interval '1 second' as date) as prev_rate_date
    from missing_months as candidate_months
    inner join months on months.month = candidate_months.month
    inner join firsts on firsts.mrr_account_key = candidate_months.mrr_account_key
    left join months as prev_months
        on prev_months.month = cast(candidate_months.month - interval '1 month' as date)
    left join paying as now_paying
        on now_paying.mrr_account_key = candidate_months.mrr_account_key
        and now_paying.month = candidate_months.month
    left join paying as prev_paying
        on prev_paying.mrr_account_key = candidate_months.mrr_account_key
        and prev_paying.month = cast(candidate_months.month - interval '1 month' as date)
),

rates as (
    select rate_date, currency, units_per_eur, reporting_units_per_eur
    from {{ ref('int_fx__daily_rates') }}
),

currencies as (
    select currency_code, exponent from {{ ref('currencies') }}
),

converted as (
    select
        with_prev.*,
        case
            when with_prev.mrr = 0 or with_prev.currency = '{{ reporting }}' then with_prev.mrr
            else {{ convert_minor_cross('with_prev.mrr', 'rate_now.reporting_units_per_eur', 'rate_now.units_per_eur', 'cur.exponent', 'rep.exponent') }}
        end as mrr_reporting,
        case
            when with_prev.prev_mrr = 0 or with_prev.currency = '{{ reporting }}' then with_prev.prev_mrr
            else {{ convert_minor_cross('with_prev.prev_mrr', 'rate_prev.reporting_units_per_eur', 'rate_prev.units_per_eur', 'cur.exponent', 'rep.exponent') }}
        end as prev_mrr_reporting,
        case
            when with_prev.prev_mrr = 0 or with_prev.currency = '{{ reporting }}' then with_prev.prev_mrr
            else {{ convert_minor_cross('with_prev.prev_mrr', 'rate_now.reporting_units_per_eur', 'rate_now.units_per_eur', 'cur.exponent', 'rep.exponent') }}
        end as prev_mrr_reporting_at_current_rate
    from with_prev
    left join currencies as cur on cur.currency_code = with_prev.currency
    left join currencies as rep on rep.currency_code = '{{ reporting }}'
    left join rates as rate_now
        on rate_now.rate_date = with_prev.rate_date and rate_now.currency = with_prev.currency
    left join rates as rate_prev
        on rate_prev.rate_date = with_prev.prev_rate_date and rate_prev.currency = with_prev.currency
),

final as (
    select
        month,
        mrr_view,
        mrr_account_key,
        customer_id,
        creator_account_id,
        currency,
        '{{ reporting }}' as reporting_currency,
        first_paid_month,
        mrr,
        prev_mrr,
        mrr_reporting,
        prev_mrr_reporting,
        prev_mrr_reporting_at_current_rate,
        -- DESIGN section 9, first match wins
        case
            when mrr > 0 and month = first_paid_month then 'new'
            when prev_mrr > 0 and mrr = 0 then 'churn'
            when mrr > 0 and prev_mrr = 0 then 'reactivation'
            when mrr > prev_mrr then 'expansion'
            when mrr < prev_mrr then 'contraction'
        end as movement_type
    from converted
)

select * from final
