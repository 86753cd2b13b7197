{#-
  The 1099-NEC basis: platform-paid compensation to creators, i.e. the platform's transfers
  marked as bonuses (metadata.kind = bonus), in USD cents (Stripe transfers move the platform's
  USD balance; another currency is converted at the ECB rate of the day). Reversed amounts are
  kept apart: box 1 reports what was paid.
-#}
with transfers as (
    select * from {{ ref('stg_stripe__transfers') }}
    where account_id is null and lower(metadata_kind) = 'bonus' and destination_account_id is not null
),

currencies as (
    select currency_code, exponent from {{ ref('currencies') }}
),

rates as (
    select rate_date, currency, units_per_eur from {{ ref('int_fx__daily_rates') }}
),

converted as (
    select
        transfers.*,
        case
            when transfers.currency = 'USD' then transfers.amount
            else {{ convert_minor_cross('transfers.amount', 'usd_rate.units_per_eur', 'transfer_rate.units_per_eur', 'currencies.exponent', '2') }}
        end as amount_usd_cents,
        case
            when transfers.currency = 'USD' then transfers.amount_reversed
            else {{ convert_minor_cross('transfers.amount_reversed', 'usd_rate.units_per_eur', 'transfer_rate.units_per_eur', 'currencies.exponent', '2') }}
        end as reversed_usd_cents
    from transfers
    left join currencies on currencies.currency_code = transfers.currency
    left join rates as transfer_rate
        on transfer_rate.rate_date = cast(transfers.created_at as date) and transfer_rate.currency = transfers.currency
    left join rates as usd_rate
        on usd_rate.rate_date = cast(transfers.created_at as date) and usd_rate.currency = 'USD'
),

final as (
    select
        transfer_id,
        destination_account_id as creator_account_id,
        created_at,
        cast(created_at as date) as paid_on,
        cast(extract(year from created_at) as integer) as tax_year,
        currency,
        amount,
        amount_usd_cents,
        amount_reversed,
        reversed_usd_cents,
        description
    from converted
)

select * from final
