{#-
  One row per calendar day (up to the later of the last ECB date and the last balance
  transaction) and currency: the ECB reference rate of that day, or of the last
  business day before it (weekends and holidays carry the last rate forward). Rates stay as the
  ECB publishes them (units per 1 EUR) so that a conversion can divide once, exactly (macro
  convert_minor_cross); rate_to_reporting is for reading only. Days before a currency's first
  publication (a history that starts on a holiday) take that first rate.
-#}
with ecb as (
    select
        cast(rate_date as date) as rate_date,
        upper(currency) as currency,
        cast(rate as decimal(38, 12)) as units_per_eur
    from {{ source('fx', 'ecb_rates') }}
    where rate is not null and rate > 0
),

ecb_with_euro as (
    select rate_date, currency, units_per_eur from ecb where currency <> 'EUR'
    union all
    select distinct rate_date, 'EUR' as currency, cast(1 as decimal(38, 12)) as units_per_eur from ecb
),

bounds as (
    select
        (select min(d) from (
            select min(rate_date) as d from ecb_with_euro
            union all select cast(min(created_at) as date) from {{ ref('stg_stripe__balance_transactions') }}
        ) as starts) as first_day,
        (select max(d) from (
            select max(rate_date) as d from ecb_with_euro
            union all select cast(max(created_at) as date) from {{ ref('stg_stripe__balance_transactions') }}
        ) as ends) as last_day
),

spine as (
    select cast(day_ts as date) as rate_date
    from bounds
    cross join generate_series(cast(bounds.first_day as timestamp), cast(bounds.last_day as timestamp), interval '1 day') as days(day_ts)
    where bounds.first_day is not null
),

currencies as (
    select distinct currency from ecb_with_euro
),

grid as (
    select
        spine.rate_date,
        currencies.currency,
        ecb_with_euro.units_per_eur,
        ecb_with_euro.rate_date as published_date
    from spine
    cross join currencies
    left join ecb_with_euro
        on ecb_with_euro.rate_date = spine.rate_date
        and ecb_with_euro.currency = currencies.currency
),

grouped as (
    select
        *,
        count(units_per_eur) over (
            partition by currency order by rate_date rows between unbounded preceding and current row
        ) as publication_group
    from grid
),

first_publication as (
    select currency, min(rate_date) as first_rate_date
    from ecb_with_euro
    group by currency
),

carried as (
    select
        grouped.rate_date,
        grouped.currency,
        coalesce(
            max(grouped.units_per_eur) over (partition by grouped.currency, grouped.publication_group),
            first_rate.units_per_eur
        ) as units_per_eur,
        coalesce(
            max(grouped.published_date) over (partition by grouped.currency, grouped.publication_group),
            first_rate.rate_date
        ) as source_rate_date
    from grouped
    left join first_publication on first_publication.currency = grouped.currency
    left join ecb_with_euro as first_rate
        on first_rate.currency = first_publication.currency
        and first_rate.rate_date = first_publication.first_rate_date
),

reporting as (
    select rate_date, units_per_eur as reporting_units_per_eur
    from carried
    where currency = '{{ var("reporting_currency") }}' and units_per_eur is not null
),

final as (
    select
        carried.rate_date,
        carried.currency,
        '{{ var("reporting_currency") }}' as reporting_currency,
        carried.units_per_eur,
        reporting.reporting_units_per_eur,
        cast({{ int_div_half_up(scaled_rate('reporting.reporting_units_per_eur') ~ ' * 1000000000000',
                                scaled_rate('carried.units_per_eur')) }} as decimal(38, 0))
            * cast(0.000000000001 as decimal(13, 12)) as rate_to_reporting,
        carried.source_rate_date,
        carried.source_rate_date <> carried.rate_date as is_carried_forward
    from carried
    inner join reporting on reporting.rate_date = carried.rate_date
    where carried.units_per_eur is not null
)

select * from final
