{{ config(
    materialized='incremental',
    unique_key='price_id',
    incremental_strategy='delete+insert',
    on_schema_change='fail',
    pre_hook="{{ stripe_delete_changed('price', 'price_id') }}"
) }}

with source as (
    select * from {{ source('stripe', 'price') }}
    where not is_deleted{{ stripe_changed_since() }}
),

renamed as (
    select
        id as price_id,
        account as account_id,
        {{ json_id('payload', 'product') }} as product_id,
        upper({{ json_text('payload', 'currency') }}) as currency,
        {{ json_int('payload', 'unit_amount') }} as unit_amount,
        {{ json_decimal('payload', 'unit_amount_decimal') }} as unit_amount_decimal,
        {{ json_text('payload', 'billing_scheme') }} as billing_scheme,
        {{ json_text('payload', 'type') }} as price_type,
        {{ json_text('payload', 'recurring.interval') }} as recurring_interval,
        {{ json_int('payload', 'recurring.interval_count') }} as recurring_interval_count,
        {{ json_text('payload', 'recurring.usage_type') }} as recurring_usage_type,
        {{ json_int('payload', 'recurring.trial_period_days') }} as trial_period_days,
        {{ json_text('payload', 'tax_behavior') }} as tax_behavior,
        {{ json_bool('payload', 'active') }} as is_active,
        {{ json_text('payload', 'nickname') }} as nickname,
        {{ json_text('payload', 'lookup_key') }} as lookup_key,
        {{ epoch_to_ts('created') }} as created_at,
        livemode as is_livemode,
        synced_at
    from source
),

final as (
    select * from renamed
)

select * from final
