{#-
  The month spine of the subscription metrics: from the month of the first invoice to the month of
  the latest data (the newest invoice). A month's MRR is a snapshot at its last moment; for the
  month still running, at the moment of the latest data instead, so that renewals not yet invoiced
  do not show as churn.
-#}
with recursive bounds as (
    select
        {{ month_start('min(created_at)') }} as first_month,
        {{ month_start('max(created_at)') }} as last_month,
        max(created_at) as as_of_at
    from {{ ref('stg_stripe__invoices') }}
),

months as (
    select first_month as month from bounds where first_month is not null
    union all
    select cast(months.month + interval '1 month' as date)
    from months
    cross join bounds
    where months.month < bounds.last_month
),

final as (
    select
        months.month,
        cast({{ month_end_exclusive('months.month') }} as timestamp) as month_end_at,
        case
            when cast({{ month_end_exclusive('months.month') }} as timestamp) <= bounds.as_of_at
                then cast({{ month_end_exclusive('months.month') }} as timestamp)
            else bounds.as_of_at + interval '1 second'
        end as snapshot_at,
        cast({{ month_end_exclusive('months.month') }} as timestamp) <= bounds.as_of_at as is_complete
    from months
    cross join bounds
)

select * from final
