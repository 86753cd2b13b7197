{#-
  What each creator earned per month and currency, from the platform's balance transactions that
  belong to the creator (their destination charges, the refunds and disputes of those charges, and
  the platform's transfers to them). Currency is the platform's settlement currency.
  commission = gross_volume x the month's tier rate, half-up to the minor unit, once.
  net_earnings = gross_volume + refunds + disputes - stripe_fees - commission + bonuses.
  Bonuses are platform transfers with metadata kind = bonus (net of their reversals).
  The `_reporting` columns are the same figures in the reporting currency, summed from each balance
  transaction's own conversion (fct_balance_transactions: Stripe's rate, else the day's ECB rate);
  commission_reporting is gross_volume_reporting x the rate, half-up once. They are null when a
  transaction of the row has no rate yet. This is the platform's view (the Stripe fee it paid);
  what reached the creator's own account is fct_creator_statements_monthly.
-#}
with platform as (
    select
        *,
        case
            when fee = 0 then cast(0 as bigint)
            when stripe_fee = fee then fee_reporting
            else {{ int_div_half_up('cast(fee_reporting as ' ~ exact_int_type() ~ ') * stripe_fee', 'fee') }}
        end as stripe_fee_reporting
    from {{ ref('fct_balance_transactions') }}
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
                  then amount else 0 end) as earnings_transferred,
        sum(case when reporting_category = 'charge' then amount_reporting else 0 end) as gross_volume_reporting,
        sum(case when reporting_category in ('refund', 'refund_failure') then amount_reporting else 0 end)
            as refunds_reporting,
        sum(case when reporting_category in ('dispute', 'dispute_reversal') then amount_reporting else 0 end)
            as disputes_reporting,
        sum(case when reporting_category in ('charge', 'refund', 'refund_failure', 'dispute', 'dispute_reversal')
                 then stripe_fee_reporting else 0 end) as stripe_fees_reporting,
        -sum(case when reporting_category in ('transfer', 'transfer_reversal') and lower(transfer_kind) = 'bonus'
                  then amount_reporting else 0 end) as bonuses_reporting
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
        cast(earnings_transferred as bigint) as earnings_transferred,
        '{{ var("reporting_currency") }}' as reporting_currency,
        cast(gross_volume_reporting as bigint) as gross_volume_reporting,
        cast(refunds_reporting as bigint) as refunds_reporting,
        cast(disputes_reporting as bigint) as disputes_reporting,
        cast(stripe_fees_reporting as bigint) as stripe_fees_reporting,
        {{ int_div_half_up('cast(gross_volume_reporting as ' ~ exact_int_type() ~ ') * ' ~ scaled_rate('commission_rate'), '1000000000000') }} as commission_reporting,
        cast(bonuses_reporting as bigint) as bonuses_reporting
    from with_tier
)

select
    *,
    gross_volume + refunds + disputes - stripe_fees - commission + bonuses as net_earnings,
    gross_volume_reporting + refunds_reporting + disputes_reporting - stripe_fees_reporting
        - commission_reporting + bonuses_reporting as net_earnings_reporting
from final
