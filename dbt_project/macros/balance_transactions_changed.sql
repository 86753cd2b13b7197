{#-
  The balance transactions int_balance__transactions rebuilds on an incremental run, as CTEs
  (`changed_ids`, `changed_sources`, `affected`) for a model's `with`: those written since the
  watermark and every one pointing at a charge, refund, dispute, transfer, reversal, payout or
  application fee written since then, by its source id (also a transfer's destination payment and
  a reversal's destination payment refund) or through the charge, transfer or reversal the model
  resolved it to last time (`{{ this }}`: a deleted object, a refund's charge, a reversal's
  transfer). fct_balance_transactions then rebuilds the rows this wrote (their `built_at`).
-#}
{% macro balance_transactions_changed() -%}
changed_ids as (
    {%- for raw_table in ['charge', 'refund', 'dispute', 'transfer', 'transfer_reversal', 'payout', 'application_fee'] %}
    {% if not loop.first %}union all {% endif %}{{ stripe_changed_ids(raw_table) }}
    {%- endfor %}
),

changed_sources as (
    select id as source_id from changed_ids
    union all
    select destination_payment_id from {{ ref('stg_stripe__transfers') }}
    where synced_at >= {{ stripe_watermark() }} and destination_payment_id is not null
    union all
    select destination_payment_refund_id from {{ ref('stg_stripe__transfer_reversals') }}
    where synced_at >= {{ stripe_watermark() }} and destination_payment_refund_id is not null
),

affected as (
    select balance_transaction_id from {{ ref('stg_stripe__balance_transactions') }}
    where synced_at >= {{ stripe_watermark() }}
       or source_id in (select source_id from changed_sources)
    union
    select balance_transaction_id from {{ this }}
    where charge_id in (select id from changed_ids)
       or transfer_id in (select id from changed_ids)
       or transfer_reversal_id in (select id from changed_ids)
),
{%- endmacro %}
