{#- A view: no model reads events; parsing every event payload into a table would cost more than it saves. -#}
{{ config(materialized='view') }}

with source as (
    select * from {{ source('stripe', 'event') }}
    where not is_deleted
),

renamed as (
    select
        id as event_id,
        account as account_id,
        {{ epoch_to_ts('created') }} as created_at,
        {{ json_text('payload', 'type') }} as event_type,
        coalesce({{ json_text('payload', 'api_version') }}, api_version) as event_api_version,
        {{ json_text('payload', 'data.object.object') }} as object_type,
        {{ json_text('payload', 'data.object.id') }} as object_id,
        {{ json_text('payload', 'request.id') }} as request_id,
        {{ json_int('payload', 'pending_webhooks') }} as pending_webhooks,
        {{ json_get('payload', 'data.object') }} as data_object,
        synced_at
    from source
),

final as (
    select * from renamed
)

select * from final
