with source as (
    select * from {{ source('stripe', 'credit_note') }}
    where not is_deleted
),

renamed as (
    select
        id as credit_note_id,
        account as account_id,
        {{ json_id('payload', 'invoice') }} as invoice_id,
        {{ json_id('payload', 'customer') }} as customer_id,
        {{ json_text('payload', 'number') }} as credit_note_number,
        upper({{ json_text('payload', 'currency') }}) as currency,
        {{ json_int('payload', 'amount') }} as amount,
        {{ json_int('payload', 'subtotal') }} as subtotal,
        {{ json_int('payload', 'subtotal_excluding_tax') }} as subtotal_excluding_tax,
        {{ json_int('payload', 'total') }} as total,
        {{ json_int('payload', 'total_excluding_tax') }} as total_excluding_tax,
        {{ json_int('payload', 'discount_amount') }} as discount_amount,
        {{ json_int('payload', 'pre_payment_amount') }} as pre_payment_amount,
        {{ json_int('payload', 'post_payment_amount') }} as post_payment_amount,
        {{ json_int('payload', 'out_of_band_amount') }} as out_of_band_amount,
        {{ json_text('payload', 'status') }} as status,
        {{ json_text('payload', 'type') }} as credit_note_type,
        {{ json_text('payload', 'reason') }} as reason,
        -- older versions name one `refund`; current ones list `refunds`
        coalesce({{ json_id('payload', 'refund') }}, {{ json_id('payload', 'refunds.0.refund') if target.type == 'postgres' else json_text('payload', 'refunds[0].refund') }}) as refund_id,
        {{ epoch_to_ts('created') }} as created_at,
        {{ epoch_to_ts(json_int('payload', 'effective_at')) }} as effective_at,
        {{ epoch_to_ts(json_int('payload', 'voided_at')) }} as voided_at,
        livemode as is_livemode
    from source
),

final as (
    select * from renamed
)

select * from final
