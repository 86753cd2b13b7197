{#-
  Every succeeded charge that pays a creator, with its gross and refunded amounts in USD cents
  (the 1099-K basis is US dollars). Stripe's own conversion wins where it converted (the
  platform's balance transaction settled in USD: its amount, and its exchange_rate for the
  refunded part); a charge presented in USD needs none; otherwise the ECB rate of the charge's
  day (carried forward over weekends) through EUR, half-up once (DESIGN section 7).
  Incremental by charge (macros/tax_charges_usd.sql): a run rebuilds the charges
  int_payments__charges rebuilt since this table's last run (its `built_at`), those whose balance
  transaction was written since, and the last 7 days (a late ECB rate replaces a carried-forward
  one, as in fct_balance_transactions); the post-hook drops the rows of charges that are gone or no
  longer succeeded with a creator. `dbt build --full-refresh` rebuilds it exactly.
-#}
{{ config(
    materialized='incremental',
    unique_key='charge_id',
    on_schema_change='append_new_columns',
    post_hook="{{ tax_charges_usd_drop_gone() }}"
) }}
with charges as (
    select * from {{ ref('int_payments__charges') }}
    where status = 'succeeded' and creator_account_id is not null
    {%- if incremental_with_column('built_at') %}
      and charge_id in ({{ tax_charges_usd_changed() }})
    {%- endif %}
),

balance_transactions as (
    select balance_transaction_id, currency, amount, exchange_rate, synced_at
    from {{ ref('stg_stripe__balance_transactions') }}
),

currencies as (
    select currency_code, exponent from {{ ref('currencies') }}
),

rates as (
    select rate_date, currency, units_per_eur from {{ ref('int_fx__daily_rates') }}
),

joined as (
    select
        charges.charge_id,
        charges.creator_account_id,
        charges.customer_id,
        charges.invoice_id,
        charges.created_at,
        charges.amount,
        charges.amount_refunded,
        charges.currency,
        charges.payment_method_type,
        charges.payment_method_family,
        charges.product_kind,
        balance_transactions.currency as settlement_currency,
        balance_transactions.amount as settlement_amount,
        balance_transactions.exchange_rate,
        balance_transactions.synced_at as balance_transaction_synced_at,
        currencies.exponent as currency_exponent,
        charge_rate.units_per_eur as currency_units_per_eur,
        usd_rate.units_per_eur as usd_units_per_eur
    from charges
    left join balance_transactions
        on balance_transactions.balance_transaction_id = charges.balance_transaction_id
    left join currencies on currencies.currency_code = charges.currency
    left join rates as charge_rate
        on charge_rate.rate_date = cast(charges.created_at as date) and charge_rate.currency = charges.currency
    left join rates as usd_rate
        on usd_rate.rate_date = cast(charges.created_at as date) and usd_rate.currency = 'USD'
),

classified as (
    select
        *,
        case
            when currency = 'USD' then 'none'
            when settlement_currency = 'USD' and settlement_amount is not null and exchange_rate is not null
                then 'balance_transaction'
            when currency_units_per_eur is not null and usd_units_per_eur is not null then 'ecb_daily_rate'
        end as usd_conversion
    from joined
),

final as (
    select
        charge_id,
        creator_account_id,
        customer_id,
        invoice_id,
        created_at,
        currency,
        amount,
        amount_refunded,
        payment_method_type,
        payment_method_family,
        product_kind,
        usd_conversion,
        exchange_rate,
        case usd_conversion
            when 'none' then amount
            when 'balance_transaction' then settlement_amount
            when 'ecb_daily_rate' then {{ convert_minor_cross('amount', 'usd_units_per_eur', 'currency_units_per_eur', 'currency_exponent', '2') }}
        end as gross_usd_cents,
        case usd_conversion
            when 'none' then amount_refunded
            when 'balance_transaction' then {{ convert_minor('amount_refunded', 'exchange_rate', 'currency_exponent', '2') }}
            when 'ecb_daily_rate' then {{ convert_minor_cross('amount_refunded', 'usd_units_per_eur', 'currency_units_per_eur', 'currency_exponent', '2') }}
        end as refunded_usd_cents,
        balance_transaction_synced_at,
        {{ build_time() }} as built_at
    from classified
)

select * from final
