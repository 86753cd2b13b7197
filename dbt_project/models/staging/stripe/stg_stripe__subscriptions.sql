{{ config(
    materialized='incremental',
    unique_key='subscription_id',
    pre_hook="{{ stripe_delete_changed('subscription', 'subscription_id') }}"
) }}
{%- set p = json_doc('payload') %}

with source as (
    select * from {{ source('stripe', 'subscription') }}
    where not is_deleted{{ stripe_changed_since() }}
),

item_periods as (
    select
        subscription_id,
        min(current_period_start_at) as item_period_start_at,
        max(current_period_end_at) as item_period_end_at,
        count(*) as item_count
    from {{ ref('stg_stripe__subscription_items') }}
    group by subscription_id
),

renamed as (
    select
        id as subscription_id,
        account as account_id,
        {{ json_id(p, 'customer') }} as customer_id,
        {{ json_text(p, 'status') }} as status,
        {{ json_id(p, 'transfer_data.destination') }} as destination_account_id,
        {{ json_id(p, 'on_behalf_of') }} as on_behalf_of_account_id,
        {{ json_decimal(p, 'application_fee_percent') }} as application_fee_percent,
        upper({{ json_text(p, 'currency') }}) as currency,
        {{ json_text(p, 'collection_method') }} as collection_method,
        {{ json_bool(p, 'cancel_at_period_end') }} as is_cancel_at_period_end,
        {{ json_text(p, 'cancellation_details.reason') }} as cancellation_reason,
        {{ json_text(p, 'cancellation_details.feedback') }} as cancellation_feedback,
        {{ json_text(p, 'pause_collection.behavior') }} as pause_collection_behavior,
        {{ epoch_to_ts(json_int(p, 'pause_collection.resumes_at')) }} as pause_resumes_at,
        {{ json_id(p, 'latest_invoice') }} as latest_invoice_id,
        {{ json_id(p, 'schedule') }} as schedule_id,
        {{ epoch_to_ts('created') }} as created_at,
        {{ epoch_to_ts(json_int(p, 'start_date')) }} as started_at,
        {{ epoch_to_ts(json_int(p, 'trial_start')) }} as trial_start_at,
        {{ epoch_to_ts(json_int(p, 'trial_end')) }} as trial_end_at,
        {{ epoch_to_ts(json_int(p, 'cancel_at')) }} as cancel_at,
        {{ epoch_to_ts(json_int(p, 'canceled_at')) }} as canceled_at,
        {{ epoch_to_ts(json_int(p, 'ended_at')) }} as ended_at,
        {{ epoch_to_ts(json_int(p, 'billing_cycle_anchor')) }} as billing_cycle_anchor_at,
        -- Before 2025-03-31.basil the current period sat on the subscription itself.
        {{ epoch_to_ts(json_int(p, 'current_period_start')) }} as legacy_period_start_at,
        {{ epoch_to_ts(json_int(p, 'current_period_end')) }} as legacy_period_end_at,
        livemode as is_livemode,
        synced_at
    from {{ json_doc_from(p, 'source') }}
),

final as (
    select
        renamed.subscription_id,
        renamed.account_id,
        renamed.customer_id,
        renamed.status,
        renamed.destination_account_id,
        renamed.on_behalf_of_account_id,
        renamed.application_fee_percent,
        renamed.currency,
        renamed.collection_method,
        renamed.is_cancel_at_period_end,
        renamed.cancellation_reason,
        renamed.cancellation_feedback,
        renamed.pause_collection_behavior,
        renamed.pause_collection_behavior is not null as is_paused,
        renamed.pause_resumes_at,
        renamed.latest_invoice_id,
        renamed.schedule_id,
        coalesce(item_periods.item_count, 0) as item_count,
        coalesce(item_periods.item_period_start_at, renamed.legacy_period_start_at) as current_period_start_at,
        coalesce(item_periods.item_period_end_at, renamed.legacy_period_end_at) as current_period_end_at,
        renamed.created_at,
        renamed.started_at,
        renamed.trial_start_at,
        renamed.trial_end_at,
        renamed.cancel_at,
        renamed.canceled_at,
        renamed.ended_at,
        renamed.billing_cycle_anchor_at,
        renamed.is_livemode,
        renamed.synced_at
    from renamed
    left join item_periods on renamed.subscription_id = item_periods.subscription_id
)

select * from final
