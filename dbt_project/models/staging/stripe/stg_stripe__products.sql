{%- set p = json_doc('payload') -%}
with source as (
    select * from {{ source('stripe', 'product') }}
    where not is_deleted
),

renamed as (
    select
        id as product_id,
        account as account_id,
        {{ json_text(p, 'name') }} as product_name,
        {{ json_text(p, 'description') }} as description,
        {{ json_text(p, 'type') }} as product_type,
        {{ json_bool(p, 'active') }} as is_active,
        {{ json_text(p, 'default_price') }} as default_price_id,
        {{ json_text(p, 'tax_code') }} as tax_code,
        {{ json_text(p, 'metadata.creator_account') }} as metadata_creator_account,
        {{ json_text(p, 'metadata.creator_account_id') }} as metadata_creator_account_id,
        {{ json_text(p, 'metadata.creator') }} as metadata_creator,
        {{ json_text(p, 'metadata.kind') }} as metadata_kind,
        {{ json_text(p, 'metadata.product_kind') }} as metadata_product_kind,
        {{ json_text(p, 'metadata.tier') }} as metadata_tier,
        {{ epoch_to_ts('created') }} as created_at,
        {{ epoch_to_ts(json_int(p, 'updated')) }} as updated_at,
        livemode as is_livemode
    from {{ json_doc_from(p, 'source') }}
),

final as (
    select
        product_id,
        account_id,
        product_name,
        description,
        product_type,
        is_active,
        default_price_id,
        tax_code,
        coalesce(metadata_creator_account, metadata_creator_account_id, metadata_creator) as creator_account_id,
        coalesce(metadata_kind, metadata_product_kind) as product_kind,
        metadata_tier as tier,
        created_at,
        updated_at,
        is_livemode
    from renamed
)

select * from final
