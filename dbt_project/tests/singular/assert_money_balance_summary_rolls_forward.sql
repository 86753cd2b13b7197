-- Each month of the balance summary starts where the previous one ended, and
-- starting + activity + payouts = ending.
select balance_account, currency, month
from (
    select
        *,
        lag(ending_balance) over (partition by balance_account, currency order by month) as previous_ending
    from {{ ref('fct_balance_summary_monthly') }}
) as months
where starting_balance + activity_net + payouts <> ending_balance
   or starting_balance <> coalesce(previous_ending, 0)
