-- fct_balance_transactions holds every balance transaction of staging, once, with the same money.
select
    coalesce(stg.balance_transaction_id, fct.balance_transaction_id) as balance_transaction_id
from {{ ref('stg_stripe__balance_transactions') }} as stg
full outer join {{ ref('fct_balance_transactions') }} as fct
    on fct.balance_transaction_id = stg.balance_transaction_id
where stg.balance_transaction_id is null
   or fct.balance_transaction_id is null
   or fct.amount <> stg.amount
   or fct.fee <> stg.fee
   or fct.net <> stg.net
   or fct.currency <> stg.currency
