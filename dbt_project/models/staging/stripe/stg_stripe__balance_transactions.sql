{{ config(
    materialized='incremental',
    unique_key='balance_transaction_id',
    pre_hook="{{ stripe_delete_changed('balance_transaction', 'balance_transaction_id') }}"
) }}
{%- set p = json_doc('payload') %}

with source as (
    select * from {{ source('stripe', 'balance_transaction') }}
    where not is_deleted{{ stripe_changed_since() }}
),

renamed as (
    select
        id as balance_transaction_id,
        account as account_id,
        {{ epoch_to_ts('created') }} as created_at,
        {{ epoch_to_ts(json_int(p, 'available_on')) }} as available_on_at,
        {{ json_int(p, 'amount') }} as amount,
        {{ json_int(p, 'fee') }} as fee,
        {{ json_int(p, 'net') }} as net,
        upper({{ json_text(p, 'currency') }}) as currency,
        {{ json_decimal(p, 'exchange_rate') }} as exchange_rate,
        {{ json_text(p, 'reporting_category') }} as reporting_category,
        {{ json_text(p, 'type') }} as balance_transaction_type,
        {{ json_text(p, 'status') }} as status,
        {{ json_text(p, 'balance_type') }} as balance_type,
        {{ stripe_id(p, 'source') }} as source_id,
        {{ json_text(p, 'description') }} as description,
        synced_at
    from {{ json_doc_from(p, 'source') }}
),

final as (
    select * from renamed
)

select * from final
