with source as (
    select * from {{ source('stripe', 'coupon') }}
    where not is_deleted
),

renamed as (
    select
        id as coupon_id,
        account as account_id,
        {{ json_text('payload', 'name') }} as coupon_name,
        {{ json_decimal('payload', 'percent_off') }} as percent_off,
        {{ json_int('payload', 'amount_off') }} as amount_off,
        upper({{ json_text('payload', 'currency') }}) as currency,
        {{ json_text('payload', 'duration') }} as duration,
        {{ json_int('payload', 'duration_in_months') }} as duration_in_months,
        {{ json_int('payload', 'max_redemptions') }} as max_redemptions,
        {{ json_int('payload', 'times_redeemed') }} as times_redeemed,
        {{ json_bool('payload', 'valid') }} as is_valid,
        {{ epoch_to_ts(json_int('payload', 'redeem_by')) }} as redeem_by_at,
        {{ epoch_to_ts('created') }} as created_at,
        livemode as is_livemode
    from source
),

final as (
    select * from renamed
)

select * from final
