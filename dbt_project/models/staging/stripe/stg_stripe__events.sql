{#- A view: no model reads events; parsing every event payload into a table would cost more than it saves. -#}
{{ config(materialized='view') }}
{%- set p = json_doc('payload') %}

with source as (
    select * from {{ source('stripe', 'event') }}
    where not is_deleted
),

renamed as (
    select
        id as event_id,
        account as account_id,
        {{ epoch_to_ts('created') }} as created_at,
        {{ json_text(p, 'type') }} as event_type,
        coalesce({{ json_text(p, 'api_version') }}, api_version) as event_api_version,
        {{ json_text(p, 'data.object.object') }} as object_type,
        {{ json_text(p, 'data.object.id') }} as object_id,
        {{ json_text(p, 'request.id') }} as request_id,
        {{ json_int(p, 'pending_webhooks') }} as pending_webhooks,
        {{ json_get(p, 'data.object') }} as data_object,
        synced_at
    from {{ json_doc_from(p, 'source') }}
),

final as (
    select * from renamed
)

select * from final
