{{ config(
    materialized='incremental',
    unique_key='balance_transaction_id',
    pre_hook="{{ stripe_delete_changed('balance_transaction', 'balance_transaction_id') }}"
) }}

with source as (
    select * from {{ source('stripe', 'balance_transaction') }}
    where not is_deleted{{ stripe_changed_since() }}
),

renamed as (
    select
        id as balance_transaction_id,
        account as account_id,
        cast(detail_ordinal as integer) as fee_detail_index,
        {{ json_int('detail', 'amount') }} as amount,
        upper({{ json_text('detail', 'currency') }}) as currency,
        {{ json_text('detail', 'type') }} as fee_type,
        {{ json_text('detail', 'application') }} as application_id,
        {{ json_text('detail', 'description') }} as description,
        synced_at
    from {{ json_unnest_from('source', 'payload', 'fee_details', 'detail') }}
),

final as (
    select
        balance_transaction_id || '-' || cast(fee_detail_index as varchar) as fee_detail_id,
        *
    from renamed
)

select * from final
