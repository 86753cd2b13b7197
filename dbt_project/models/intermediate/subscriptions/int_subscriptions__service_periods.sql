{#-
  Subscription service periods: one row per subscription invoice line of an invoice that counts for
  MRR (paid or open; never draft, void or uncollectible), with its monthly-normalised amount kept
  exact (DESIGN section 9). Proration lines (upgrades, downgrades, partial cancels) cover part of a
  billing period: their amount is scaled up to a whole period by the share of the price they bill,
  so that, summed with the line they adjust, they give the new rate from the change onwards.
  Incremental by invoice (macros/stripe_incremental.sql, watermark = max(synced_at) of this table:
  the newest write of an invoice, price or subscription a row was built from): a run rebuilds
  every invoice written since the watermark and every invoice with a line whose price,
  subscription or product was written since then (raw ids, so deleted objects count); the
  pre-hook first drops the rows of those invoices, so an invoice that no longer counts (voided,
  deleted) or a line that no longer qualifies leaves no row behind.
-#}
{{ config(
    materialized='incremental',
    unique_key='invoice_id',
    pre_hook="{{ subscription_periods_delete_changed() }}"
) }}
with
{% if is_incremental() -%}
changed_invoices as (
    select invoice_id from {{ ref('stg_stripe__invoice_lines') }} as lines
    left join {{ ref('stg_stripe__prices') }} as prices on prices.price_id = lines.price_id
    where lines.synced_at >= {{ stripe_watermark() }}
       or lines.price_id in ({{ stripe_changed_ids('price') }})
       or lines.subscription_id in ({{ stripe_changed_ids('subscription') }})
       or coalesce(lines.product_id, prices.product_id) in ({{ stripe_changed_ids('product') }})
),

{% endif -%}
invoices as (
    select * from {{ ref('stg_stripe__invoices') }}
    where status in ('paid', 'open')
),

lines as (
    select * from {{ ref('stg_stripe__invoice_lines') }}
    where subscription_id is not null
      and (line_type = 'subscription' or (line_type = 'invoice_item' and is_proration))
      {%- if is_incremental() %}
      and invoice_id in (select invoice_id from changed_invoices)
      {%- endif %}
),

prices as (
    select * from {{ ref('stg_stripe__prices') }}
),

subscriptions as (
    select * from {{ ref('stg_stripe__subscriptions') }}
),

products as (
    select * from {{ ref('stg_stripe__products') }}
),

joined as (
    select
        lines.invoice_line_id,
        lines.invoice_id,
        invoices.status as invoice_status,
        invoices.billing_reason,
        invoices.customer_id,
        coalesce(invoices.destination_account_id, subscriptions.destination_account_id,
                 products.creator_account_id) as creator_account_id,
        lines.subscription_id,
        lines.subscription_item_id,
        lines.price_id,
        coalesce(lines.product_id, prices.product_id) as product_id,
        lines.currency,
        lines.period_start_at,
        lines.period_end_at,
        lines.is_proration,
        coalesce(prices.recurring_interval, lines.inline_interval) as billing_interval,
        coalesce(prices.recurring_interval_count, lines.inline_interval_count, 1) as billing_interval_count,
        lines.quantity,
        prices.unit_amount * lines.quantity as full_period_amount,
        lines.amount,
        lines.discount_amount,
        lines.tax_inclusive_amount,
        lines.tax_exclusive_amount,
        lines.amount_net_excluding_tax,
        -- the watermark: the newest write of the raw rows this row was built from, so that the
        -- prices and subscriptions one ingest landed after its last invoice are not taken for
        -- changes on the next run (greatest skips nulls)
        greatest(lines.synced_at, prices.synced_at, subscriptions.synced_at) as synced_at
    from lines
    inner join invoices on lines.invoice_id = invoices.invoice_id
    left join prices on lines.price_id = prices.price_id
    left join subscriptions on lines.subscription_id = subscriptions.subscription_id
    left join products on coalesce(lines.product_id, prices.product_id) = products.product_id
),

final as (
    select
        *,
        -- net amount x (whole period / billed share, for prorations) x months factor, exactly
        case
            when is_proration and full_period_amount > 0 and amount <> 0 then
                {{ exact_ratio(
                    'amount_net_excluding_tax * full_period_amount * ' ~ interval_month_numerator('billing_interval'),
                    'abs(amount) * ' ~ interval_month_denominator('billing_interval', 'billing_interval_count')) }}
            else
                {{ exact_ratio(
                    'amount_net_excluding_tax * ' ~ interval_month_numerator('billing_interval'),
                    interval_month_denominator('billing_interval', 'billing_interval_count')) }}
        end as mrr_exact
    from joined
    where billing_interval in ('day', 'week', 'month', 'year')
)

select * from final
