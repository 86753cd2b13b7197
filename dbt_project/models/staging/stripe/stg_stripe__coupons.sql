{%- set p = json_doc('payload') -%}
with source as (
    select * from {{ source('stripe', 'coupon') }}
    where not is_deleted
),

renamed as (
    select
        id as coupon_id,
        account as account_id,
        {{ json_text(p, 'name') }} as coupon_name,
        {{ json_decimal(p, 'percent_off') }} as percent_off,
        {{ json_int(p, 'amount_off') }} as amount_off,
        upper({{ json_text(p, 'currency') }}) as currency,
        {{ json_text(p, 'duration') }} as duration,
        {{ json_int(p, 'duration_in_months') }} as duration_in_months,
        {{ json_int(p, 'max_redemptions') }} as max_redemptions,
        {{ json_int(p, 'times_redeemed') }} as times_redeemed,
        {{ json_bool(p, 'valid') }} as is_valid,
        {{ epoch_to_ts(json_int(p, 'redeem_by')) }} as redeem_by_at,
        {{ epoch_to_ts('created') }} as created_at,
        livemode as is_livemode
    from {{ json_doc_from(p, 'source') }}
),

final as (
    select * from renamed
)

select * from final
