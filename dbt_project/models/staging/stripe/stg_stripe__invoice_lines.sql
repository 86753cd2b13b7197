{#-
  One row per invoice line (the landing keeps ALL lines in lines.data). Tolerates the shapes events
  of older API versions carry: before 2025-03-31.basil a line had `type`, `proration`,
  `subscription_item`, `price`/`plan` and `tax_amounts`; since then `parent.*_details`, `pricing`
  and `taxes`.
-#}
{{ config(
    materialized='incremental',
    unique_key='invoice_id',
    pre_hook="{{ stripe_delete_changed('invoice', 'invoice_id') }}"
) }}

{%- set l = json_doc('line') %}

with invoices as (
    select * from {{ source('stripe', 'invoice') }}
    where not is_deleted{{ stripe_changed_since() }}
),

lines as (
    select
        id as invoice_id,
        account as account_id,
        upper({{ json_text('payload', 'currency') }}) as invoice_currency,
        line,
        line_ordinal,
        synced_at
    from {{ json_unnest_from('invoices', 'payload', 'lines.data', 'line') }}
),

discounts as (
    select invoice_line_id, sum(discount_amount) as discount_amount
    from {{ ref('stg_stripe__invoice_line_discounts') }}
    group by invoice_line_id
),

taxes as (
    select
        invoice_line_id,
        sum(tax_amount) as tax_amount,
        sum(case when is_inclusive then tax_amount else 0 end) as tax_inclusive_amount
    from {{ ref('stg_stripe__invoice_line_taxes') }}
    group by invoice_line_id
),

renamed as (
    select
        {{ json_text(l, 'id') }} as invoice_line_id,
        invoice_id,
        account_id,
        line_ordinal,
        upper(coalesce({{ json_text(l, 'currency') }}, invoice_currency)) as currency,
        {{ json_int(l, 'amount') }} as amount,
        coalesce({{ json_int(l, 'subtotal') }}, {{ json_int(l, 'amount') }}) as subtotal,
        coalesce({{ json_text(l, 'parent.type') }},
                 case {{ json_text(l, 'type') }}
                     when 'subscription' then 'subscription_item_details'
                     when 'invoiceitem' then 'invoice_item_details'
                 end) as parent_type,
        -- only the details named by parent.type describe the line (the other key is null in real objects)
        case when {{ json_text(l, 'parent.type') }} = 'invoice_item_details'
             then coalesce({{ json_bool(l, 'parent.invoice_item_details.proration') }}, false)
             else coalesce({{ json_bool(l, 'parent.subscription_item_details.proration') }},
                           {{ json_bool(l, 'proration') }}, false)
        end as is_proration,
        case when {{ json_text(l, 'parent.type') }} = 'invoice_item_details'
             then {{ json_id(l, 'parent.invoice_item_details.subscription') }}
             else coalesce({{ json_id(l, 'parent.subscription_item_details.subscription') }},
                           {{ json_id(l, 'subscription') }})
        end as subscription_id,
        case when {{ json_text(l, 'parent.type') }} = 'invoice_item_details'
             then null
             else coalesce({{ json_id(l, 'parent.subscription_item_details.subscription_item') }},
                           {{ json_id(l, 'subscription_item') }})
        end as subscription_item_id,
        case when {{ json_text(l, 'parent.type') }} = 'invoice_item_details'
             then {{ json_id(l, 'parent.invoice_item_details.invoice_item') }}
             when {{ json_text(l, 'parent.type') }} = 'subscription_item_details'
             then {{ json_id(l, 'parent.subscription_item_details.invoice_item') }}
             else {{ json_id(l, 'invoice_item') }}
        end as invoice_item_id,
        coalesce({{ json_id(l, 'pricing.price_details.price') }},
                 {{ json_id(l, 'price') }},
                 {{ json_text(l, 'plan.id') }}) as price_id,
        coalesce({{ json_text(l, 'pricing.price_details.product') }},
                 {{ json_id(l, 'price.product') }},
                 {{ json_id(l, 'plan.product') }}) as product_id,
        -- older shapes carry the recurring interval inline; the current one only names the price
        coalesce({{ json_text(l, 'price.recurring.interval') }}, {{ json_text(l, 'plan.interval') }}) as inline_interval,
        coalesce({{ json_int(l, 'price.recurring.interval_count') }}, {{ json_int(l, 'plan.interval_count') }}) as inline_interval_count,
        coalesce({{ json_decimal(l, 'pricing.unit_amount_decimal') }},
                 {{ json_decimal(l, 'price.unit_amount_decimal') }}) as unit_amount_decimal,
        coalesce({{ json_int(l, 'quantity') }}, 1) as quantity,
        {{ json_text(l, 'description') }} as description,
        {{ json_bool(l, 'discountable') }} as is_discountable,
        {{ json_int(l, 'period.start') }} as period_start,
        {{ json_int(l, 'period.end') }} as period_end,
        synced_at
    from {{ json_doc_from(l, 'lines') }}
),

final as (
    select
        renamed.invoice_line_id,
        renamed.invoice_id,
        renamed.account_id,
        renamed.line_ordinal,
        renamed.currency,
        renamed.amount,
        renamed.subtotal,
        coalesce(discounts.discount_amount, 0) as discount_amount,
        coalesce(taxes.tax_amount, 0) as tax_amount,
        coalesce(taxes.tax_inclusive_amount, 0) as tax_inclusive_amount,
        coalesce(taxes.tax_amount, 0) - coalesce(taxes.tax_inclusive_amount, 0) as tax_exclusive_amount,
        -- what the customer owes for the line net of discounts, without any tax (MRR's basis)
        renamed.amount - coalesce(discounts.discount_amount, 0) - coalesce(taxes.tax_inclusive_amount, 0) as amount_net_excluding_tax,
        renamed.parent_type,
        case renamed.parent_type
            when 'subscription_item_details' then 'subscription'
            when 'invoice_item_details' then 'invoice_item'
            else renamed.parent_type
        end as line_type,
        renamed.is_proration,
        renamed.subscription_id,
        renamed.subscription_item_id,
        renamed.invoice_item_id,
        renamed.price_id,
        renamed.product_id,
        renamed.inline_interval,
        renamed.inline_interval_count,
        renamed.unit_amount_decimal,
        renamed.quantity,
        renamed.description,
        renamed.is_discountable,
        renamed.period_start,
        renamed.period_end,
        {{ epoch_to_ts('renamed.period_start') }} as period_start_at,
        {{ epoch_to_ts('renamed.period_end') }} as period_end_at,
        renamed.synced_at
    from renamed
    left join discounts on renamed.invoice_line_id = discounts.invoice_line_id
    left join taxes on renamed.invoice_line_id = taxes.invoice_line_id
)

select * from final
