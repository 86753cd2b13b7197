with credit_notes as (
    select * from {{ source('stripe', 'credit_note') }}
    where not is_deleted
),

lines as (
    select
        cn.id as credit_note_id,
        {{ json_id('cn.payload', 'invoice') }} as invoice_id,
        upper({{ json_text('cn.payload', 'currency') }}) as currency,
        line.value as line,
        line.ordinal as line_ordinal
    from credit_notes as cn
    cross join {{ json_each('cn.payload', 'lines.data', 'line') }}
),

renamed as (
    select
        {{ json_text('line', 'id') }} as credit_note_line_id,
        credit_note_id,
        invoice_id,
        line_ordinal,
        {{ json_id('line', 'invoice_line_item') }} as invoice_line_id,
        {{ json_text('line', 'type') }} as line_type,
        currency,
        {{ json_int('line', 'amount') }} as amount,
        {{ json_int('line', 'discount_amount') }} as discount_amount,
        {{ json_int('line', 'quantity') }} as quantity,
        {{ json_int('line', 'unit_amount') }} as unit_amount,
        {{ json_text('line', 'description') }} as description
    from lines
),

final as (
    select * from renamed
)

select * from final
