{{ config(
    materialized='incremental',
    unique_key='subscription_id',
    pre_hook="{{ stripe_delete_changed('subscription', 'subscription_id') }}"
) }}

with source as (
    select * from {{ source('stripe', 'subscription') }}
    where not is_deleted{{ stripe_changed_since() }}
),

-- json_unnest_from, not a json_each lateral: DuckDB deduplicates the payloads a lateral joins on,
-- and on the large world that hash of every subscription's payload ran out of a 1 GB limit.
items as (
    select
        id as subscription_id,
        account as account_id,
        payload as subscription_payload,
        item,
        item_ordinal,
        synced_at
    from {{ json_unnest_from('source', 'payload', 'items.data', 'item') }}
),

renamed as (
    select
        {{ json_text('item', 'id') }} as subscription_item_id,
        subscription_id,
        account_id,
        item_ordinal,
        -- `plan` is the legacy twin of `price`; either may be missing in older event payloads.
        coalesce({{ json_id('item', 'price') }}, {{ json_text('item', 'plan.id') }}) as price_id,
        coalesce({{ json_id('item', 'price.product') }}, {{ json_id('item', 'plan.product') }}) as product_id,
        upper(coalesce({{ json_text('item', 'price.currency') }}, {{ json_text('subscription_payload', 'currency') }})) as currency,
        {{ json_int('item', 'price.unit_amount') }} as unit_amount,
        coalesce({{ json_text('item', 'price.recurring.interval') }}, {{ json_text('item', 'plan.interval') }}) as recurring_interval,
        coalesce({{ json_int('item', 'price.recurring.interval_count') }}, {{ json_int('item', 'plan.interval_count') }}) as recurring_interval_count,
        coalesce({{ json_int('item', 'quantity') }}, 1) as quantity,
        -- Since 2025-03-31.basil the current period lives on the item; before, on the subscription.
        {{ epoch_to_ts('coalesce(' ~ json_int('item', 'current_period_start') ~ ', ' ~ json_int('subscription_payload', 'current_period_start') ~ ')') }} as current_period_start_at,
        {{ epoch_to_ts('coalesce(' ~ json_int('item', 'current_period_end') ~ ', ' ~ json_int('subscription_payload', 'current_period_end') ~ ')') }} as current_period_end_at,
        {{ epoch_to_ts(json_int('item', 'created')) }} as created_at,
        synced_at
    from items
),

final as (
    select * from renamed
)

select * from final
