{#-
  Active subscribers of each creator at the start of each month (the commission tier's input,
  DESIGN section 8): distinct customers paying the creator (MRR > 0) at the snapshot that closes
  the previous month, which is the first moment of this one. Zero where none.
-#}
with months as (
    select * from {{ ref('int_subscriptions__months') }}
),

mrr as (
    select * from {{ ref('int_subscriptions__mrr_monthly') }}
    where creator_account_id is not null
),

paying_customers_at_month_end as (
    select month, creator_account_id, count(distinct customer_id) as paying_customers
    from mrr
    where mrr > 0
    group by month, creator_account_id
),

creators as (
    select distinct creator_account_id from mrr
),

final as (
    select
        creators.creator_account_id,
        months.month,
        coalesce(previous.paying_customers, 0) as active_subscribers
    from creators
    cross join months
    left join paying_customers_at_month_end as previous
        on previous.creator_account_id = creators.creator_account_id
       and previous.month = cast(months.month - interval '1 month' as date)
)

select * from final
