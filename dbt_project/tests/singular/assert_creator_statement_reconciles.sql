-- A creator statement adds up (net = gross + refunds + disputes - fees - commission + bonuses +
-- adjustments; opening + net - payouts = closing), carries each closing into the next opening,
-- and has one row per creator, month and account currency.
with s as (
    select *,
           lag(closing_balance) over (partition by creator_account_id, currency order by month) as previous_closing,
           count(*) over (partition by creator_account_id, month, currency) as rows_per_key
    from {{ ref('fct_creator_statements_monthly') }}
)
select creator_account_id, month, currency
from s
where net_earnings <> gross_volume + refunds + disputes - processing_fees - commission + bonuses + adjustments
   or opening_balance + net_earnings - payouts <> closing_balance
   or coalesce(previous_closing, 0) <> opening_balance
   or rows_per_key > 1
