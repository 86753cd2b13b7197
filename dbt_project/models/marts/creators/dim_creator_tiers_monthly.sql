{#- The commission tier of each creator in each month (the "commission tier by month" of dim_creators). -#}
with tiers as (
    select * from {{ ref('int_creators__commission_tiers_monthly') }}
),

final as (
    select
        creator_account_id,
        month,
        active_subscribers_at_start,
        commission_tier,
        commission_rate
    from tiers
)

select * from final
