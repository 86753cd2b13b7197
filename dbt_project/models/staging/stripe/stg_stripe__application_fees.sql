with source as (
    select * from {{ source('stripe', 'application_fee') }}
    where not is_deleted
),

renamed as (
    select
        id as application_fee_id,
        account as account_id,
        {{ epoch_to_ts('created') }} as created_at,
        {{ stripe_id('payload', 'account') }} as connected_account_id,
        {{ json_int('payload', 'amount') }} as amount,
        {{ json_int('payload', 'amount_refunded') }} as amount_refunded,
        upper({{ json_text('payload', 'currency') }}) as currency,
        {{ stripe_id('payload', 'charge') }} as charge_id,
        {{ stripe_id('payload', 'balance_transaction') }} as balance_transaction_id,
        {{ stripe_id('payload', 'originating_transaction') }} as originating_transaction_id,
        {{ stripe_id('payload', 'application') }} as application_id,
        {{ json_bool('payload', 'refunded') }} as is_refunded,
        synced_at
    from source
),

final as (
    select * from renamed
)

select * from final
