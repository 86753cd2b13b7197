{{ config(
    materialized='incremental',
    unique_key='payout_id',
    pre_hook="{{ stripe_delete_changed('payout', 'payout_id') }}"
) }}
{%- set p = json_doc('payload') %}

with source as (
    select * from {{ source('stripe', 'payout') }}
    where not is_deleted{{ stripe_changed_since() }}
),

renamed as (
    select
        id as payout_id,
        account as account_id,
        {{ epoch_to_ts('created') }} as created_at,
        cast({{ epoch_to_ts(json_int(p, 'arrival_date')) }} as date) as arrival_date,
        {{ json_int(p, 'amount') }} as amount,
        upper({{ json_text(p, 'currency') }}) as currency,
        {{ json_text(p, 'status') }} as status,
        {{ json_text(p, 'method') }} as payout_method,
        {{ json_text(p, 'type') }} as payout_type,
        {{ json_bool(p, 'automatic') }} as is_automatic,
        {{ json_text(p, 'reconciliation_status') }} as reconciliation_status,
        {{ stripe_id(p, 'balance_transaction') }} as balance_transaction_id,
        {{ stripe_id(p, 'failure_balance_transaction') }} as failure_balance_transaction_id,
        {{ json_text(p, 'failure_code') }} as failure_code,
        {{ stripe_id(p, 'destination') }} as destination_id,
        {{ stripe_id(p, 'original_payout') }} as original_payout_id,
        {{ stripe_id(p, 'reversed_by') }} as reversed_by_payout_id,
        {{ json_int(p, 'application_fee_amount') }} as application_fee_amount,
        synced_at
    from {{ json_doc_from(p, 'source') }}
),

final as (
    select * from renamed
)

select * from final
