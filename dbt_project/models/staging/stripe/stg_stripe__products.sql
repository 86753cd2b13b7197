with source as (
    select * from {{ source('stripe', 'product') }}
    where not is_deleted
),

renamed as (
    select
        id as product_id,
        account as account_id,
        {{ json_text('payload', 'name') }} as product_name,
        {{ json_text('payload', 'description') }} as description,
        {{ json_text('payload', 'type') }} as product_type,
        {{ json_bool('payload', 'active') }} as is_active,
        {{ json_text('payload', 'default_price') }} as default_price_id,
        {{ json_text('payload', 'tax_code') }} as tax_code,
        {{ json_text('payload', 'metadata.creator_account') }} as metadata_creator_account,
        {{ json_text('payload', 'metadata.creator_account_id') }} as metadata_creator_account_id,
        {{ json_text('payload', 'metadata.creator') }} as metadata_creator,
        {{ json_text('payload', 'metadata.kind') }} as metadata_kind,
        {{ json_text('payload', 'metadata.product_kind') }} as metadata_product_kind,
        {{ json_text('payload', 'metadata.tier') }} as metadata_tier,
        {{ epoch_to_ts('created') }} as created_at,
        {{ epoch_to_ts(json_int('payload', 'updated')) }} as updated_at,
        livemode as is_livemode
    from source
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
