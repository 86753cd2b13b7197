{{ config(
    materialized='incremental',
    unique_key='payout_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    pre_hook="{{ stripe_delete_changed('payout', 'payout_id') }}"
) }}

with source as (
    select * from {{ source('stripe', 'payout') }}
    where not is_deleted{{ stripe_changed_since() }}
),

renamed as (
    select
        id as payout_id,
        account as account_id,
        {{ epoch_to_ts('created') }} as created_at,
        cast({{ epoch_to_ts(json_int('payload', 'arrival_date')) }} as date) as arrival_date,
        {{ json_int('payload', 'amount') }} as amount,
        upper({{ json_text('payload', 'currency') }}) as currency,
        {{ json_text('payload', 'status') }} as status,
        {{ json_text('payload', 'method') }} as payout_method,
        {{ json_text('payload', 'type') }} as payout_type,
        {{ json_bool('payload', 'automatic') }} as is_automatic,
        {{ json_text('payload', 'reconciliation_status') }} as reconciliation_status,
        {{ stripe_id('payload', 'balance_transaction') }} as balance_transaction_id,
        {{ stripe_id('payload', 'failure_balance_transaction') }} as failure_balance_transaction_id,
        {{ json_text('payload', 'failure_code') }} as failure_code,
        {{ stripe_id('payload', 'destination') }} as destination_id,
        {{ stripe_id('payload', 'original_payout') }} as original_payout_id,
        {{ stripe_id('payload', 'reversed_by') }} as reversed_by_payout_id,
        {{ json_int('payload', 'application_fee_amount') }} as application_fee_amount,
        synced_at
    from source
),

final as (
    select * from renamed
)

select * from final
