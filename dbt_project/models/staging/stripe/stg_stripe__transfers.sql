{{ config(
    materialized='incremental',
    unique_key='transfer_id',
    pre_hook="{{ stripe_delete_changed('transfer', 'transfer_id') }}"
) }}
{%- set p = json_doc('payload') %}

with source as (
    select * from {{ source('stripe', 'transfer') }}
    where not is_deleted{{ stripe_changed_since() }}
),

renamed as (
    select
        id as transfer_id,
        account as account_id,
        {{ epoch_to_ts('created') }} as created_at,
        {{ json_int(p, 'amount') }} as amount,
        {{ json_int(p, 'amount_reversed') }} as amount_reversed,
        upper({{ json_text(p, 'currency') }}) as currency,
        {{ stripe_id(p, 'destination') }} as destination_account_id,
        {{ stripe_id(p, 'destination_payment') }} as destination_payment_id,
        {{ stripe_id(p, 'balance_transaction') }} as balance_transaction_id,
        {{ stripe_id(p, 'source_transaction') }} as source_transaction_id,
        {{ json_text(p, 'source_type') }} as source_type,
        {{ json_text(p, 'transfer_group') }} as transfer_group,
        {{ json_bool(p, 'reversed') }} as is_reversed,
        {{ json_text(p, 'description') }} as description,
        {{ json_text(p, 'metadata.kind') }} as metadata_kind,
        {{ json_get(p, 'metadata') }} as metadata,
        synced_at
    from {{ json_doc_from(p, 'source') }}
),

final as (
    select * from renamed
)

select * from final
