{#-
  What each creator earned per month and currency, from the platform's balance transactions that
  belong to the creator (their destination charges, the refunds and disputes of those charges, and
  the platform's transfers to them). Currency is the platform's settlement currency.
  commission = gross_volume x the month's tier rate, half-up to the minor unit, once.
  net_earnings = gross_volume + refunds + disputes - stripe_fees - commission + bonuses.
  Bonuses are platform transfers with metadata kind = bonus (net of their reversals).
-#}
with platform as (
    select * from {{ ref('fct_balance_transactions') }}
    where is_platform and creator_account_id is not null
),

summed as (
    select
        creator_account_id,
        {{ month_start('created_at') }} as month,
        currency,
        sum(case when reporting_category = 'charge' then amount else 0 end) as gross_volume,
        sum(case when reporting_category = 'charge' then 1 else 0 end) as successful_payments,
        sum(case when reporting_category in ('refund', 'refund_failure') then amount else 0 end) as refunds,
        sum(case when reporting_category in ('dispute', 'dispute_reversal') then amount else 0 end) as disputes,
        sum(case when reporting_category in ('charge', 'refund', 'refund_failure', 'dispute', 'dispute_reversal')
                 then stripe_fee else 0 end) as stripe_fees,
        -sum(case when reporting_category in ('transfer', 'transfer_reversal') and lower(transfer_kind) = 'bonus'
                  then amount else 0 end) as bonuses,
        -sum(case when reporting_category in ('transfer', 'transfer_reversal') and coalesce(lower(transfer_kind), '') <> 'bonus'
                  then amount else 0 end) as earnings_transferred
    from platform
    group by creator_account_id, {{ month_start('created_at') }}, currency
),

with_tier as (
    select
        summed.*,
        coalesce(tiers.commission_tier, 'standard') as commission_tier,
        coalesce(tiers.commission_rate, standard.commission_rate) as commission_rate
    from summed
    left join {{ ref('int_creators__commission_tiers_monthly') }} as tiers
        on tiers.creator_account_id = summed.creator_account_id
        and tiers.month = summed.month
    cross join (select commission_rate from {{ ref('commission_tiers') }} where tier = 'standard') as standard
),

final as (
    select
        creator_account_id,
        month,
        currency,
        cast(gross_volume as bigint) as gross_volume,
        cast(successful_payments as bigint) as successful_payments,
        cast(refunds as bigint) as refunds,
        cast(disputes as bigint) as disputes,
        cast(stripe_fees as bigint) as stripe_fees,
        commission_tier,
        commission_rate,
        {{ int_div_half_up('cast(gross_volume as ' ~ exact_int_type() ~ ') * ' ~ scaled_rate('commission_rate'), '1000000000000') }} as commission,
        cast(bonuses as bigint) as bonuses,
        cast(earnings_transferred as bigint) as earnings_transferred
    from with_tier
)

select
    *,
    gross_volume + refunds + disputes - stripe_fees - commission + bonuses as net_earnings
from final
