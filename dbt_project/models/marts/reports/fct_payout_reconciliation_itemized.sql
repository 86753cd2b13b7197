{#-
  Stripe's payout reconciliation, itemized: each automatic payout with the balance transactions it
  settled. An automatic payout sweeps what became available since the previous automatic payout
  of the same account and currency, so a transaction belongs to the first automatic payout created
  at or after its available_on moment. Manual payouts are listed with no items.
  Incremental by payout (macros/payout_reconciliation.sql): the pre-hook deletes every payout whose
  rows a full build would change, this select adds the payouts the table does not hold; a day
  rebuilds its new payouts and the few its changed transactions touch, not the whole history.
-#}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    pre_hook="{{ payout_reconciliation_delete_changed() }}"
) }}
with transactions as (
    select * from {{ ref('fct_balance_transactions') }}
),

payouts as (
    {{ payout_reconciliation_payouts() }}
),

missing_payouts as (
    select * from payouts
    {%- if is_incremental() %}
    where payout_id not in (select payout_id from {{ this }})
    {%- endif %}
),

items as (
    select
        payouts.payout_id,
        transactions.balance_transaction_id,
        transactions.created_at,
        transactions.available_on_at,
        transactions.reporting_category,
        transactions.balance_transaction_type,
        transactions.amount,
        transactions.fee,
        transactions.net,
        transactions.source_id,
        transactions.charge_id,
        transactions.creator_account_id
    from missing_payouts as payouts
    inner join transactions on {{ payout_reconciliation_in_window('transactions', 'payouts') }}
    where payouts.is_automatic
),

final as (
    select
        payouts.balance_account,
        payouts.currency,
        payouts.payout_id,
        payouts.is_automatic,
        payouts.payout_status,
        payouts.payout_created_at,
        payouts.arrival_date,
        payouts.payout_amount,
        items.balance_transaction_id,
        items.created_at,
        items.available_on_at,
        items.reporting_category,
        items.balance_transaction_type,
        items.amount,
        items.fee,
        items.net,
        items.source_id,
        items.charge_id,
        items.creator_account_id
    from missing_payouts as payouts
    left join items on items.payout_id = payouts.payout_id
)

select * from final
