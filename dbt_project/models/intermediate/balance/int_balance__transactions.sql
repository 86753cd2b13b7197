{#-
  Every balance transaction (platform: account_id null; each connected account) with the object
  that caused it resolved: the charge behind a refund, dispute, application fee, transfer or a
  connected account's payment; the creator it belongs to; the presentment side of the source;
  Stripe fees split from application fees (fee_details).
  A table, built once per run: as a view its eleven joins ran again for each reader (the ledger,
  the commission tiers, the incremental mart) and for each of its tests.
  Incremental (macros/stripe_incremental.sql, watermark = max(synced_at) of this table): a row
  depends on its balance transaction and on the objects it resolves to, so a run rebuilds the
  balance transactions written since the watermark (the pre-hook drops the deleted ones) and every
  balance transaction that points at an object written since then: by its source id (also a
  transfer's destination payment and a reversal's destination payment refund), or through the
  charge, transfer or reversal this table resolved it to last time (a deleted object, a refund's
  charge, a reversal's transfer): macros/balance_transactions_changed.sql. Raw ids, so deleted
  objects count. Everything else keeps its
  row, which a full refresh would build the same.
  `built_at` is the run that wrote the row (macros/incremental_build.sql): fct_balance_transactions
  rebuilds the rows written since its own last run.
-#}
{{ config(
    materialized='incremental',
    unique_key='balance_transaction_id',
    on_schema_change='append_new_columns',
    pre_hook="{{ stripe_delete_changed('balance_transaction', 'balance_transaction_id') }}"
) }}
{%- set incremental = incremental_with_column('built_at') %}

with
{% if incremental -%}
{{ balance_transactions_changed() }}

{% endif -%}

balance_transactions as (
    select * from {{ ref('stg_stripe__balance_transactions') }}
    {%- if incremental %}
    where balance_transaction_id in (select balance_transaction_id from affected)
    {%- endif %}
),

fee_split as (
    select
        balance_transaction_id,
        sum(case when fee_type = 'application_fee' then amount else 0 end) as application_fee_in_fee,
        sum(case when fee_type <> 'application_fee' then amount else 0 end) as stripe_fee_in_fee,
        count(*) as fee_detail_count
    from {{ ref('stg_stripe__balance_transaction_fee_details') }}
    {%- if incremental %}
    where balance_transaction_id in (select balance_transaction_id from affected)
    {%- endif %}
    group by balance_transaction_id
),

{#- an incremental run joins only the objects its rows' source ids reach, so that each join hashes
    a few thousand rows, not a whole staging table (0.3-0.5 s of a day on large) -#}
{%- set reached = " where {} in (select source_id from sources)" if incremental else "" %}
sources as (select source_id from balance_transactions),
charges as (select * from {{ ref('stg_stripe__charges') }}),
source_charges as (select * from charges{{ reached.format('charge_id') }}),
refunds as (select * from {{ ref('stg_stripe__refunds') }}{{ reached.format('refund_id') }}),
disputes as (select * from {{ ref('stg_stripe__disputes') }}{{ reached.format('dispute_id') }}),
transfer_reversals as (
    select * from {{ ref('stg_stripe__transfer_reversals') }}
    {%- if incremental %}
    where transfer_reversal_id in (select source_id from sources)
       or destination_payment_refund_id in (select source_id from sources)
    {%- endif %}
),
transfers as (
    select * from {{ ref('stg_stripe__transfers') }}
    {%- if incremental %}
    where transfer_id in (select source_id from sources)
       or destination_payment_id in (select source_id from sources)
       or transfer_id in (select transfer_id from transfer_reversals)
    {%- endif %}
),
payouts as (select * from {{ ref('stg_stripe__payouts') }}{{ reached.format('payout_id') }}),
application_fees as (select * from {{ ref('stg_stripe__application_fees') }}{{ reached.format('application_fee_id') }}),

resolved as (
    select
        bt.*,
        case
            when charges.charge_id is not null then 'charge'
            when refunds.refund_id is not null then 'refund'
            when disputes.dispute_id is not null then 'dispute'
            when transfers.transfer_id is not null then 'transfer'
            when transfer_reversals.transfer_reversal_id is not null then 'transfer_reversal'
            when payouts.payout_id is not null then 'payout'
            when application_fees.application_fee_id is not null then 'application_fee'
            when destination_payment.transfer_id is not null then 'destination_payment'
            when payment_refund.transfer_reversal_id is not null then 'destination_payment_refund'
            else 'other'
        end as source_object,
        coalesce(
            charges.charge_id,
            refunds.charge_id,
            disputes.charge_id,
            application_fees.charge_id,
            transfers.source_transaction_id,
            destination_payment.source_transaction_id,
            reversed_transfer.source_transaction_id,
            payment_refund_transfer.source_transaction_id
        ) as charge_id,
        refunds.refund_id,
        disputes.dispute_id,
        coalesce(transfers.transfer_id, destination_payment.transfer_id,
                 transfer_reversals.transfer_id, payment_refund.transfer_id) as transfer_id,
        coalesce(transfer_reversals.transfer_reversal_id, payment_refund.transfer_reversal_id) as transfer_reversal_id,
        payouts.payout_id,
        application_fees.application_fee_id,
        coalesce(transfers.metadata_kind, destination_payment.metadata_kind,
                 reversed_transfer.metadata_kind, payment_refund_transfer.metadata_kind) as transfer_kind,
        coalesce(transfers.destination_account_id, destination_payment.destination_account_id,
                 reversed_transfer.destination_account_id, payment_refund_transfer.destination_account_id,
                 application_fees.connected_account_id) as transfer_account_id,
        case
            when charges.charge_id is not null then charges.currency
            when refunds.refund_id is not null then refunds.currency
            when disputes.dispute_id is not null then disputes.currency
        end as source_currency,
        case
            when charges.charge_id is not null then charges.amount
            when refunds.refund_id is not null then refunds.amount
            when disputes.dispute_id is not null then disputes.amount
        end as source_amount,
        fee_split.fee_detail_count,
        fee_split.application_fee_in_fee,
        fee_split.stripe_fee_in_fee
    from balance_transactions as bt
    left join source_charges as charges on charges.charge_id = bt.source_id
    left join refunds on refunds.refund_id = bt.source_id
    left join disputes on disputes.dispute_id = bt.source_id
    left join transfers on transfers.transfer_id = bt.source_id
    left join transfer_reversals on transfer_reversals.transfer_reversal_id = bt.source_id
    left join transfers as reversed_transfer on reversed_transfer.transfer_id = transfer_reversals.transfer_id
    left join payouts on payouts.payout_id = bt.source_id
    left join application_fees on application_fees.application_fee_id = bt.source_id
    left join transfers as destination_payment on destination_payment.destination_payment_id = bt.source_id
    left join transfer_reversals as payment_refund on payment_refund.destination_payment_refund_id = bt.source_id
    left join transfers as payment_refund_transfer on payment_refund_transfer.transfer_id = payment_refund.transfer_id
    left join fee_split on fee_split.balance_transaction_id = bt.balance_transaction_id
),

with_charge as (
    select
        resolved.*,
        charges.payment_intent_id,
        charges.destination_account_id as charge_destination_account_id
    from resolved
    left join (
        select * from charges
        {%- if incremental %}
        where charge_id in (select charge_id from resolved)
        {%- endif %}
    ) as charges on charges.charge_id = resolved.charge_id
),

final as (
    select
        balance_transaction_id,
        account_id,
        account_id is null as is_platform,
        coalesce(account_id, 'platform') as balance_account,
        created_at,
        available_on_at,
        reporting_category,
        balance_transaction_type,
        status,
        balance_type,
        amount,
        fee,
        net,
        currency,
        exchange_rate,
        -- Stripe's fee versus the platform's application fee taken on a connected account
        cast(case when fee_detail_count is null then fee else stripe_fee_in_fee end as bigint) as stripe_fee,
        cast(coalesce(application_fee_in_fee, 0) as bigint) as application_fee_in_fee,
        -- presentment side: the source charge, refund or dispute, signed like the balance transaction
        case
            when exchange_rate is null then currency
            else source_currency
        end as presentment_currency,
        case
            when exchange_rate is null then amount
            when source_amount is not null then case when amount < 0 then -source_amount else source_amount end
        end as presentment_amount,
        source_id,
        source_object,
        charge_id,
        refund_id,
        dispute_id,
        transfer_id,
        transfer_reversal_id,
        payout_id,
        application_fee_id,
        payment_intent_id,
        transfer_kind,
        -- the creator: the connected account itself, else the transfer's destination, else the charge's
        coalesce(account_id, transfer_account_id, charge_destination_account_id) as creator_account_id,
        synced_at,
        {{ build_time() }} as built_at
    from with_charge
)

select * from final
