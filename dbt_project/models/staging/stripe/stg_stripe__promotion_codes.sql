{%- set p = json_doc('payload') -%}
with source as (
    select * from {{ source('stripe', 'promotion_code') }}
    where not is_deleted
),

renamed as (
    select
        id as promotion_code_id,
        account as account_id,
        {{ json_text(p, 'code') }} as code,
        -- 2025-09-30.clover moved the coupon under `promotion`; older versions carry `coupon` (an object).
        coalesce({{ json_id(p, 'promotion.coupon') }}, {{ json_id(p, 'coupon') }}) as coupon_id,
        {{ json_id(p, 'customer') }} as customer_id,
        {{ json_bool(p, 'active') }} as is_active,
        {{ json_int(p, 'max_redemptions') }} as max_redemptions,
        {{ json_int(p, 'times_redeemed') }} as times_redeemed,
        {{ json_bool(p, 'restrictions.first_time_transaction') }} as is_first_time_transaction_only,
        {{ json_int(p, 'restrictions.minimum_amount') }} as minimum_amount,
        upper({{ json_text(p, 'restrictions.minimum_amount_currency') }}) as minimum_amount_currency,
        {{ epoch_to_ts(json_int(p, 'expires_at')) }} as expires_at,
        {{ epoch_to_ts('created') }} as created_at,
        livemode as is_livemode
    from {{ json_doc_from(p, 'source') }}
),

final as (
    select * from renamed
)

select * from final
