-- Net earnings = gross + refunds + disputes - Stripe fees - commission + bonuses, and the
-- commission is never more than the gross at the tier's rate plus half a minor unit.
select creator_account_id, month, currency
from {{ ref('fct_creator_earnings_monthly') }}
where net_earnings <> gross_volume + refunds + disputes - stripe_fees - commission + bonuses
   or commission < 0
   or commission > gross_volume
