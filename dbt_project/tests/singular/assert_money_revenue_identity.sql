-- Platform net revenue is exactly the sum of its parts, per day and currency and in the
-- reporting currency.
select revenue_date, currency
from {{ ref('fct_revenue_daily') }}
where platform_net_revenue <> gross_volume + refunds + dispute_losses + dispute_reversals
        + application_fees + transfers_to_creators + other_activity - stripe_fees
   or platform_net_revenue_reporting <> gross_volume_reporting + refunds_reporting
        + dispute_losses_reporting + dispute_reversals_reporting + application_fees_reporting
        + transfers_to_creators_reporting + other_activity_reporting - stripe_fees_reporting
