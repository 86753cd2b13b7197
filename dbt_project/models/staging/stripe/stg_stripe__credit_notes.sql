{%- set p = json_doc('payload') -%}
with source as (
    select * from {{ source('stripe', 'credit_note') }}
    where not is_deleted
),

renamed as (
    select
        id as credit_note_id,
        account as account_id,
        {{ json_id(p, 'invoice') }} as invoice_id,
        {{ json_id(p, 'customer') }} as customer_id,
        {{ json_text(p, 'number') }} as credit_note_number,
        upper({{ json_text(p, 'currency') }}) as currency,
        {{ json_int(p, 'amount') }} as amount,
        {{ json_int(p, 'subtotal') }} as subtotal,
        {{ json_int(p, 'subtotal_excluding_tax') }} as subtotal_excluding_tax,
        {{ json_int(p, 'total') }} as total,
        {{ json_int(p, 'total_excluding_tax') }} as total_excluding_tax,
        {{ json_int(p, 'discount_amount') }} as discount_amount,
        {{ json_int(p, 'pre_payment_amount') }} as pre_payment_amount,
        {{ json_int(p, 'post_payment_amount') }} as post_payment_amount,
        {{ json_int(p, 'out_of_band_amount') }} as out_of_band_amount,
        {{ json_text(p, 'status') }} as status,
        {{ json_text(p, 'type') }} as credit_note_type,
        {{ json_text(p, 'reason') }} as reason,
        -- older versions name one `refund`; current ones list `refunds`
        coalesce({{ json_id(p, 'refund') }}, {{ json_id(p, 'refunds.0.refund') if target.type == 'postgres' else json_text(p, 'refunds[0].refund') }}) as refund_id,
        {{ epoch_to_ts('created') }} as created_at,
        {{ epoch_to_ts(json_int(p, 'effective_at')) }} as effective_at,
        {{ epoch_to_ts(json_int(p, 'voided_at')) }} as voided_at,
        livemode as is_livemode
    from {{ json_doc_from(p, 'source') }}
),

final as (
    select * from renamed
)

select * from final
