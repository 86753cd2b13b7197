{#-
  A creator's monthly statement, per connected account currency: what reached, and what left, the
  creator's own Stripe balance. Built only from the balance transactions of the connected account,
  so opening + net_earnings - payouts = closing, and closing_balance is the account's balance
  (the sum of its balance transactions' net) at the end of the month, to the minor unit.

  Destination charges (DESIGN 8): the fan pays the charge; application_fee_amount keeps the VAT the
  platform remits, the tier commission and the list-price processing fee; the rest is transferred
  and lands here as a `payment`. The statement shows that payment as
    gross_volume       the charge amount excluding VAT, in the account currency (the transfer's own
                       exchange rate, half-up once);
    commission         gross_volume x the month's tier rate, half-up once (a payment whose charge
                       is not synced yet counts in gross with nothing withheld until it is);
    processing_fees    gross_volume - commission - the payment credited: the list-price fee the
                       platform withheld (its conversion rounding included). Not the Stripe fee
                       the platform paid (fct_creator_earnings_monthly.stripe_fees).
  Refunds and disputes are the transfer reversals booked on the account (a reversal with a source
  refund is a refund, one without is a dispute withdrawal; a dispute won comes back as a
  `dispute_won` transfer). Bonuses are `bonus` transfers. Payouts are payouts net of failed ones
  (with any instant-payout fee). Anything else is an adjustment, so nothing is left out.
-#}
with items as (
    select * from {{ ref('fct_balance_transactions') }}
    where account_id is not null
),

reversals as (
    select transfer_reversal_id, source_refund_id from {{ ref('stg_stripe__transfer_reversals') }}
),

charges as (
    select charges.charge_id, charges.amount, charges.currency, paid.invoice_id
    from {{ ref('stg_stripe__charges') }} as charges
    left join {{ ref('int_payments__charges') }} as paid on paid.charge_id = charges.charge_id
),

invoices as (
    select invoice_id, tax_amount from {{ ref('stg_stripe__invoices') }}
),

currencies as (
    select currency_code, exponent from {{ ref('currencies') }}
),

classified as (
    select
        items.account_id as creator_account_id,
        {{ month_start('items.created_at') }} as month,
        items.currency,
        items.net,
        case
            when items.reporting_category in ('payout', 'payout_reversal') then 'payout'
            when lower(coalesce(items.transfer_kind, '')) = 'bonus' then 'bonus'
            when lower(coalesce(items.transfer_kind, '')) = 'dispute_won' then 'dispute'
            when items.source_object = 'destination_payment' and items.transfer_kind is null
                 and items.reporting_category = 'charge' then 'sale'
            when items.source_object = 'destination_payment_refund' and reversals.source_refund_id is not null
                 then 'refund'
            when items.source_object = 'destination_payment_refund' then 'dispute'
            else 'adjustment'
        end as item_kind,
        -- the sale before VAT, converted at the rate of this very transfer (none: same currency)
        case
            when items.source_object = 'destination_payment' and items.transfer_kind is null
                 and items.reporting_category = 'charge' and charges.charge_id is not null then
                case
                    when items.exchange_rate is null then charges.amount - coalesce(invoices.tax_amount, 0)
                    else {{ convert_minor('charges.amount - coalesce(invoices.tax_amount, 0)', 'items.exchange_rate',
                                          'charge_currency.exponent', 'account_currency.exponent') }}
                end
        end as sale_gross
    from items
    left join reversals on reversals.transfer_reversal_id = items.transfer_reversal_id
    left join charges on charges.charge_id = items.charge_id
    left join invoices on invoices.invoice_id = charges.invoice_id
    left join currencies as charge_currency on charge_currency.currency_code = charges.currency
    left join currencies as account_currency on account_currency.currency_code = items.currency
),

tiers as (
    select
        classified.creator_account_id,
        classified.month,
        coalesce(tiers.commission_tier, 'standard') as commission_tier,
        coalesce(tiers.commission_rate, standard.commission_rate) as commission_rate
    from (select distinct creator_account_id, month from classified) as classified
    left join {{ ref('int_creators__commission_tiers_monthly') }} as tiers
        on tiers.creator_account_id = classified.creator_account_id
        and tiers.month = classified.month
    cross join (select commission_rate from {{ ref('commission_tiers') }} where tier = 'standard') as standard
),

summed as (
    select
        creator_account_id,
        month,
        currency,
        -- a payment whose charge is not synced yet counts as gross with nothing withheld
        sum(case when item_kind = 'sale' then coalesce(sale_gross, net) else 0 end) as gross_volume,
        sum(case when item_kind = 'sale' then coalesce(sale_gross, 0) else 0 end) as gross_known,
        sum(case when item_kind = 'sale' and sale_gross is not null then net else 0 end) as credited_known,
        sum(case when item_kind = 'sale' then 1 else 0 end) as successful_payments,
        sum(case when item_kind = 'refund' then net else 0 end) as refunds,
        sum(case when item_kind = 'dispute' then net else 0 end) as disputes,
        sum(case when item_kind = 'bonus' then net else 0 end) as bonuses,
        sum(case when item_kind = 'adjustment' then net else 0 end) as adjustments,
        -sum(case when item_kind = 'payout' then net else 0 end) as payouts,
        sum(net) as balance_change
    from classified
    group by creator_account_id, month, currency
),

with_commission as (
    select
        summed.*,
        tiers.commission_tier,
        tiers.commission_rate,
        {{ int_div_half_up('cast(summed.gross_known as ' ~ exact_int_type() ~ ') * ' ~ scaled_rate('tiers.commission_rate'), '1000000000000') }} as commission
    from summed
    inner join tiers on tiers.creator_account_id = summed.creator_account_id and tiers.month = summed.month
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
        cast(gross_known - commission - credited_known as bigint) as processing_fees,
        commission_tier,
        commission_rate,
        cast(commission as bigint) as commission,
        cast(bonuses as bigint) as bonuses,
        cast(adjustments as bigint) as adjustments,
        cast(balance_change + payouts as bigint) as net_earnings,
        cast(payouts as bigint) as payouts,
        cast(balance_change as bigint) as balance_change
    from with_commission
),

balances as (
    select
        final.*,
        cast(sum(balance_change) over (partition by creator_account_id, currency order by month
                                       rows between unbounded preceding and current row) as bigint) as closing_balance
    from final
)

select
    creator_account_id,
    month,
    currency,
    cast(closing_balance - balance_change as bigint) as opening_balance,
    gross_volume,
    successful_payments,
    refunds,
    disputes,
    processing_fees,
    commission_tier,
    commission_rate,
    commission,
    bonuses,
    adjustments,
    net_earnings,
    payouts,
    closing_balance
from balances
