{{ config(
    materialized='incremental',
    unique_key='transfer_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    pre_hook="{{ stripe_delete_changed('transfer', 'transfer_id') }}"
) }}

with source as (
    select * from {{ source('stripe', 'transfer') }}
    where not is_deleted{{ stripe_changed_since() }}
),

renamed as (
    select
        id as transfer_id,
        account as account_id,
        {{ epoch_to_ts('created') }} as created_at,
        {{ json_int('payload', 'amount') }} as amount,
        {{ json_int('payload', 'amount_reversed') }} as amount_reversed,
        upper({{ json_text('payload', 'currency') }}) as currency,
        {{ stripe_id('payload', 'destination') }} as destination_account_id,
        {{ stripe_id('payload', 'destination_payment') }} as destination_payment_id,
        {{ stripe_id('payload', 'balance_transaction') }} as balance_transaction_id,
        {{ stripe_id('payload', 'source_transaction') }} as source_transaction_id,
        {{ json_text('payload', 'source_type') }} as source_type,
        {{ json_text('payload', 'transfer_group') }} as transfer_group,
        {{ json_bool('payload', 'reversed') }} as is_reversed,
        {{ json_text('payload', 'description') }} as description,
        {{ json_text('payload', 'metadata.kind') }} as metadata_kind,
        {{ json_get('payload', 'metadata') }} as metadata,
        synced_at
    from source
),

final as (
    select * from renamed
)

select * from final
