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
        id as invoice_id,
        upper({{ json_text('payload', 'currency') }}) as currency,
        line,
        synced_at
    from {{ json_unnest_from('invoices', 'payload', 'lines.data', 'line') }}
),

renamed as (
    select
        {{ json_text('line', 'id') }} as invoice_line_id,
        invoice_id,
        currency,
        disc_ordinal as discount_ordinal,
        {{ json_id('disc', 'discount') }} as discount_id,
        {{ json_int('disc', 'amount') }} as discount_amount,
        synced_at
    from {{ json_unnest_from('lines', 'line', 'discount_amounts', 'disc') }}
),

final as (
    select
        invoice_line_id || '-' || cast(discount_ordinal as varchar) as invoice_line_discount_id,
        *
    from renamed
)

select * from final
