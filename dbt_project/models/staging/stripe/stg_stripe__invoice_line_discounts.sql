{#- One row per discount amount applied to an invoice line (invoice-level discounts are allocated onto lines by Stripe). -#}
{{ config(
    materialized='incremental',
    unique_key='invoice_id',
    pre_hook="{{ stripe_delete_changed('invoice', 'invoice_id') }}"
) }}

with invoices as (
    select * from {{ source('stripe', 'invoice') }}
    where not is_deleted{{ stripe_changed_since() }}
),

lines as (
    select
        inv.id as invoice_id,
        upper({{ json_text('inv.payload', 'currency') }}) as currency,
        line.value as line,
        inv.synced_at
    from invoices as inv
    cross join {{ json_each('inv.payload', 'lines.data', 'line') }}
),

renamed as (
    select
        {{ json_text('lines.line', 'id') }} as invoice_line_id,
        lines.invoice_id,
        lines.currency,
        disc.ordinal as discount_ordinal,
        {{ json_id('disc.value', 'discount') }} as discount_id,
        {{ json_int('disc.value', 'amount') }} as discount_amount,
        lines.synced_at
    from lines
    cross join {{ json_each('lines.line', 'discount_amounts', 'disc') }}
),

final as (
    select
        invoice_line_id || '-' || cast(discount_ordinal as varchar) as invoice_line_discount_id,
        *
    from renamed
)

select * from final
