{#- One row per tax on an invoice line: `taxes` since 2025-03-31.basil, `tax_amounts` before. -#}
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

current_taxes as (
    select
        {{ json_text('line', 'id') }} as invoice_line_id,
        invoice_id,
        currency,
        tax_ordinal,
        {{ json_int('tax', 'amount') }} as tax_amount,
        {{ json_int('tax', 'taxable_amount') }} as taxable_amount,
        {{ json_text('tax', 'tax_behavior') }} = 'inclusive' as is_inclusive,
        {{ json_id('tax', 'tax_rate_details.tax_rate') }} as tax_rate_id,
        {{ json_text('tax', 'taxability_reason') }} as taxability_reason,
        synced_at
    from {{ json_unnest_from('lines', 'line', 'taxes', 'tax') }}
),

legacy_taxes as (
    select
        {{ json_text('line', 'id') }} as invoice_line_id,
        invoice_id,
        currency,
        tax_ordinal,
        {{ json_int('tax', 'amount') }} as tax_amount,
        {{ json_int('tax', 'taxable_amount') }} as taxable_amount,
        {{ json_bool('tax', 'inclusive') }} as is_inclusive,
        {{ json_id('tax', 'tax_rate') }} as tax_rate_id,
        {{ json_text('tax', 'taxability_reason') }} as taxability_reason,
        synced_at
    from {{ json_unnest_from('lines', 'line', 'tax_amounts', 'tax') }}
    -- a line carries one shape or the other; never count a tax twice
    where coalesce({{ json_text('line', 'taxes') }}, '[]') = '[]'
),

taxes as (
    select * from current_taxes
    union all
    select * from legacy_taxes
),

final as (
    select
        invoice_line_id || '-' || cast(tax_ordinal as varchar) as invoice_line_tax_id,
        invoice_line_id, invoice_id, currency, tax_ordinal, tax_amount, taxable_amount,
        is_inclusive, tax_rate_id, taxability_reason, synced_at
    from taxes
)

select * from final
