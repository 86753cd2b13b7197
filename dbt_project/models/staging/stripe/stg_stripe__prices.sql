{{ config(
    materialized='incremental',
    unique_key='price_id',
    pre_hook="{{ stripe_delete_changed('price', 'price_id') }}"
) }}
{%- set p = json_doc('payload') %}

with source as (
    select * from {{ source('stripe', 'price') }}
    where not is_deleted{{ stripe_changed_since() }}
),

renamed as (
    select
        id as price_id,
        account as account_id,
        {{ json_id(p, 'product') }} as product_id,
        upper({{ json_text(p, 'currency') }}) as currency,
        {{ json_int(p, 'unit_amount') }} as unit_amount,
        {{ json_decimal(p, 'unit_amount_decimal') }} as unit_amount_decimal,
        {{ json_text(p, 'billing_scheme') }} as billing_scheme,
        {{ json_text(p, 'type') }} as price_type,
        {{ json_text(p, 'recurring.interval') }} as recurring_interval,
        {{ json_int(p, 'recurring.interval_count') }} as recurring_interval_count,
        {{ json_text(p, 'recurring.usage_type') }} as recurring_usage_type,
        {{ json_int(p, 'recurring.trial_period_days') }} as trial_period_days,
        {{ json_text(p, 'tax_behavior') }} as tax_behavior,
        {{ json_bool(p, 'active') }} as is_active,
        {{ json_text(p, 'nickname') }} as nickname,
        {{ json_text(p, 'lookup_key') }} as lookup_key,
        {{ epoch_to_ts('created') }} as created_at,
        livemode as is_livemode,
        synced_at
    from {{ json_doc_from(p, 'source') }}
),

final as (
    select * from renamed
)

select * from final
