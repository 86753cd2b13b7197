{{ config(
    materialized='incremental',
    unique_key='application_fee_id',
    pre_hook="{{ stripe_delete_changed('application_fee', 'application_fee_id') }}"
) }}
{%- set p = json_doc('payload') %}

with source as (
    select * from {{ source('stripe', 'application_fee') }}
    where not is_deleted{{ stripe_changed_since() }}
),

renamed as (
    select
        id as application_fee_id,
        account as account_id,
        {{ epoch_to_ts('created') }} as created_at,
        {{ stripe_id(p, 'account') }} as connected_account_id,
        {{ json_int(p, 'amount') }} as amount,
        {{ json_int(p, 'amount_refunded') }} as amount_refunded,
        upper({{ json_text(p, 'currency') }}) as currency,
        {{ stripe_id(p, 'charge') }} as charge_id,
        {{ stripe_id(p, 'balance_transaction') }} as balance_transaction_id,
        {{ stripe_id(p, 'originating_transaction') }} as originating_transaction_id,
        {{ stripe_id(p, 'application') }} as application_id,
        {{ json_bool(p, 'refunded') }} as is_refunded,
        synced_at
    from {{ json_doc_from(p, 'source') }}
),

final as (
    select * from renamed
)

select * from final
