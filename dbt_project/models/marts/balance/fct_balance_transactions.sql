{#-
  Every balance transaction of the platform and of each connected account, with its creator,
  settlement and presentment sides, and its amount in the reporting currency:
  Stripe's own conversion where Stripe converted (the settlement currency is the reporting
  currency, or the presentment currency is), else the day's ECB rate; half-up once.
  Incremental by balance transaction: a run rebuilds the rows int_balance__transactions wrote since
  this table's last run, the rows whose charge int_payments__charges wrote since then (a product
  made a custom tier changes the kind of charges of any age), and the last 7 days, so that a late
  ECB rate replaces a carried-forward one; the pre-hook drops the deleted ones (only those: a row
  dropped and not rebuilt would be lost). "Since" is this table's newest `built_at`, read before
  the run as a literal, so that DuckDB skips the row groups of int_balance__transactions written
  before it (macros/incremental_build.sql).
  `dbt build --full-refresh` rebuilds it exactly.
-#}
{{ config(
    materialized='incremental',
    unique_key='balance_transaction_id',
    on_schema_change='append_new_columns',
    pre_hook="{{ stripe_delete_changed('balance_transaction', 'balance_transaction_id', deleted_only=true) }}"
) }}
-- what the pre-hook reads, declared for dbt (it only renders on incremental runs):
-- depends_on: {{ source('stripe', 'balance_transaction') }}
{%- set incremental = incremental_with_column('built_at') %}

with
{% if incremental -%}
{%- set since = last_built_at() %}
changed_charges as (
    select balance_transaction_id from {{ this }}
    where charge_id in (
        select charge_id from {{ ref('int_payments__charges') }} where built_at > {{ since }}
    )
),

{% endif -%}
transactions as (
    select * from {{ ref('int_balance__transactions') }}
    {%- if incremental %}
    where built_at > {{ since }}
       or balance_transaction_id in (select balance_transaction_id from changed_charges)
       or {{ within_late_rate_days('created_at') }}
    {%- endif %}
),

charges as (
    select charge_id, invoice_id, product_kind from {{ ref('int_payments__charges') }}
),

currencies as (
    select currency_code, exponent from {{ ref('currencies') }}
),

rates as (
    select rate_date, currency, units_per_eur, reporting_units_per_eur
    from {{ ref('int_fx__daily_rates') }}
),

joined as (
    select
        transactions.*,
        charges.invoice_id,
        charges.product_kind,
        settlement_currency.exponent as settlement_exponent,
        reporting_currency.exponent as reporting_exponent,
        rates.units_per_eur,
        rates.reporting_units_per_eur
    from transactions
    left join charges on charges.charge_id = transactions.charge_id
    left join currencies as settlement_currency on settlement_currency.currency_code = transactions.currency
    left join currencies as reporting_currency on reporting_currency.currency_code = '{{ var("reporting_currency") }}'
    left join rates
        on rates.rate_date = {{ day_of('transactions.created_at') }}
        and rates.currency = transactions.currency
),

converted as (
    select
        joined.*,
        case
            when currency = '{{ var("reporting_currency") }}' then 'settlement'
            when exchange_rate is not null and presentment_currency = '{{ var("reporting_currency") }}'
                 and presentment_amount is not null then 'stripe_exchange_rate'
            when units_per_eur is not null then 'ecb_daily_rate'
        end as reporting_conversion
    from joined
),

final as (
    select
        balance_transaction_id,
        account_id,
        is_platform,
        balance_account,
        creator_account_id,
        created_at,
        {{ day_of('created_at') }} as created_date,
        available_on_at,
        reporting_category,
        balance_transaction_type,
        status,
        amount,
        fee,
        net,
        stripe_fee,
        application_fee_in_fee,
        currency,
        amount as settlement_amount,
        currency as settlement_currency,
        presentment_amount,
        presentment_currency,
        exchange_rate,
        '{{ var("reporting_currency") }}' as reporting_currency,
        reporting_conversion,
        case reporting_conversion
            when 'settlement' then amount
            when 'stripe_exchange_rate' then presentment_amount
            when 'ecb_daily_rate' then {{ convert_minor_cross('amount', 'reporting_units_per_eur', 'units_per_eur', 'settlement_exponent', 'reporting_exponent') }}
        end as amount_reporting,
        case reporting_conversion
            when 'settlement' then fee
            -- Stripe's rate is presentment -> settlement: divide by it to go back
            when 'stripe_exchange_rate' then {{ int_div_half_up(
                'cast(fee as ' ~ exact_int_type() ~ ') * 1000000000000 * ' ~ pow10_int('reporting_exponent'),
                scaled_rate('exchange_rate') ~ ' * ' ~ pow10_int('settlement_exponent')) }}
            when 'ecb_daily_rate' then {{ convert_minor_cross('fee', 'reporting_units_per_eur', 'units_per_eur', 'settlement_exponent', 'reporting_exponent') }}
        end as fee_reporting,
        source_id,
        source_object,
        charge_id,
        refund_id,
        dispute_id,
        transfer_id,
        transfer_reversal_id,
        payout_id,
        application_fee_id,
        payment_intent_id,
        invoice_id,
        product_kind,
        transfer_kind,
        synced_at,
        {{ build_time() }} as built_at
    from converted
)

select
    *,
    amount_reporting - fee_reporting as net_reporting
from final
