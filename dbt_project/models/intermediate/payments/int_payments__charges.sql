{#-
  Each charge with who earned it and what it paid for.
  Creator: the destination of the destination charge (transfer_data.destination), else the
  charge's on_behalf_of, else the invoice's destination, else the product's creator metadata.
  Invoice: invoice_payment (API 2025-03-31.basil and later), else the legacy invoice.charge /
  charge.invoice / payment_intent.invoice links.
  Product kind: tip when the charge (or its intent) says metadata.kind = tip; custom when the
  invoice's first priced line -> price -> product has metadata tier = custom; tier_subscription for
  any other invoiced or subscription charge; a charge without invoice or kind is a tip (one-off).
  The sandbox also puts `creator` and `invoice` in the charge's metadata: used as fallbacks.
  Incremental (macros/stripe_incremental.sql, watermark = max(synced_at) of this table, the
  charge's): a run rebuilds the charges written since the watermark (the pre-hook drops deleted
  ones) and every charge whose row reads an object written since then: its payment intent; an
  invoice payment naming the charge or its intent; an invoice (its lines come with it) naming them
  in the legacy fields, or the invoice this table resolved the charge to; a price on a line of that
  invoice; the product this table found for it. Raw ids where an object may be deleted. (Stripe
  does not delete invoice payments; a deleted one would leave its charge's old invoice.)
  `built_at` is the run that wrote the row (macros/incremental_build.sql): what the incremental
  models keyed by charge downstream rebuild.
-#}
{{ config(
    materialized='incremental',
    unique_key='charge_id',
    on_schema_change='append_new_columns',
    pre_hook="{{ stripe_delete_changed('charge', 'charge_id') }}"
) }}
{%- set incremental = incremental_with_column('built_at') %}
with
{% if incremental -%}
changed_invoices as (
    select id as invoice_id from {{ source('stripe', 'invoice') }} where synced_at >= {{ stripe_watermark() }}
    union all
    select lines.invoice_id from {{ ref('stg_stripe__invoice_lines') }} as lines
    where lines.price_id in ({{ stripe_changed_ids('price') }})
),

changed_links as (
    -- (charge id, payment intent id) pairs that name changed objects
    select charge_id, payment_intent_id from {{ ref('stg_stripe__invoice_payments') }}
    where synced_at >= {{ stripe_watermark() }}
    union all
    select legacy_charge_id, legacy_payment_intent_id from {{ ref('stg_stripe__invoices') }}
    where synced_at >= {{ stripe_watermark() }}
    union all
    select null, id from {{ source('stripe', 'payment_intent') }} where synced_at >= {{ stripe_watermark() }}
),

affected as (
    select charge_id from {{ ref('stg_stripe__charges') }}
    where synced_at >= {{ stripe_watermark() }}
       or charge_id in (select charge_id from changed_links where charge_id is not null)
       or payment_intent_id in (select payment_intent_id from changed_links where payment_intent_id is not null)
    union
    select charge_id from {{ this }}
    where invoice_id in (select invoice_id from changed_invoices)
       or product_id in ({{ stripe_changed_ids('product') }})
),

{% endif -%}
charges as (
    select * from {{ ref('stg_stripe__charges') }}
    {%- if incremental %}
    where charge_id in (select charge_id from affected)
    {%- endif %}
),

{#- on an incremental run every lookup below reads only what the rebuilt charges reach (their
    intents, their invoice payments, the invoices they resolve to), so that its join or group hashes
    a few thousand rows, not a whole staging table -#}
payment_intents as (
    select * from {{ ref('stg_stripe__payment_intents') }}
    {%- if incremental %}
    where payment_intent_id in (select payment_intent_id from charges)
    {%- endif %}
),

invoice_payments as (
    select * from {{ ref('stg_stripe__invoice_payments') }}
    {%- if incremental %}
    where charge_id in (select charge_id from charges)
       or payment_intent_id in (select payment_intent_id from charges)
    {%- endif %}
),

invoices as (
    select * from {{ ref('stg_stripe__invoices') }}
),

payment_invoice as (
    select payment_intent_id, min(invoice_id) as invoice_id
    from invoice_payments
    where payment_intent_id is not null
    group by payment_intent_id
),

charge_invoice as (
    select charge_id, min(invoice_id) as invoice_id
    from invoice_payments
    where charge_id is not null
    group by charge_id
),

legacy_invoice_by_charge as (
    select legacy_charge_id as charge_id, min(invoice_id) as invoice_id
    from invoices
    where legacy_charge_id is not null
    {%- if incremental %}
      and legacy_charge_id in (select charge_id from charges)
    {%- endif %}
    group by legacy_charge_id
),

legacy_invoice_by_intent as (
    select legacy_payment_intent_id as payment_intent_id, min(invoice_id) as invoice_id
    from invoices
    where legacy_payment_intent_id is not null
    {%- if incremental %}
      and legacy_payment_intent_id in (select payment_intent_id from charges)
    {%- endif %}
    group by legacy_payment_intent_id
),

attributed as (
    select
        charges.*,
        coalesce(
            charge_invoice.invoice_id,
            payment_invoice.invoice_id,
            charges.invoice_id,
            payment_intents.invoice_id,
            {{ json_text('charges.metadata', 'invoice') }},
            legacy_invoice_by_charge.invoice_id,
            legacy_invoice_by_intent.invoice_id
        ) as resolved_invoice_id,
        payment_intents.metadata_kind as payment_intent_metadata_kind,
        {{ json_text('charges.metadata', 'creator') }} as metadata_creator_account_id,
        payment_intents.destination_account_id as payment_intent_destination_account_id
    from charges
    left join payment_intents on payment_intents.payment_intent_id = charges.payment_intent_id
    left join charge_invoice on charge_invoice.charge_id = charges.charge_id
    left join payment_invoice on payment_invoice.payment_intent_id = charges.payment_intent_id
    left join legacy_invoice_by_charge on legacy_invoice_by_charge.charge_id = charges.charge_id
    left join legacy_invoice_by_intent on legacy_invoice_by_intent.payment_intent_id = charges.payment_intent_id
),

priced_lines as (
    select
        lines.invoice_id,
        coalesce(lines.product_id, prices.product_id) as product_id,
        lines.price_id,
        lines.subscription_id,
        row_number() over (partition by lines.invoice_id order by lines.line_ordinal) as line_rank
    from {{ ref('stg_stripe__invoice_lines') }} as lines
    left join {{ ref('stg_stripe__prices') }} as prices on prices.price_id = lines.price_id
    where coalesce(lines.product_id, prices.product_id) is not null
    {%- if incremental %}
      -- whole invoices, so each keeps its line ranks
      and lines.invoice_id in (select resolved_invoice_id from attributed)
    {%- endif %}
),

first_line as (
    select
        priced_lines.*,
        products.product_kind,
        products.tier as product_tier,
        products.creator_account_id as product_creator_account_id
    from priced_lines
    left join {{ ref('stg_stripe__products') }} as products on products.product_id = priced_lines.product_id
    where line_rank = 1
),

with_product as (
    select
        attributed.*,
        invoices.subscription_id,
        invoices.destination_account_id as invoice_destination_account_id,
        first_line.product_id,
        first_line.product_kind,
        first_line.product_tier,
        first_line.product_creator_account_id
    from attributed
    left join (
        select * from invoices
        {%- if incremental %}
        where invoice_id in (select resolved_invoice_id from attributed)
        {%- endif %}
    ) as invoices on invoices.invoice_id = attributed.resolved_invoice_id
    left join first_line on first_line.invoice_id = attributed.resolved_invoice_id
),

final as (
    select
        charge_id,
        account_id,
        created_at,
        amount,
        amount_captured,
        amount_refunded,
        currency,
        status,
        is_paid,
        is_refunded,
        is_disputed,
        customer_id,
        payment_intent_id,
        balance_transaction_id,
        failure_code,
        application_fee_amount,
        coalesce(
            destination_account_id,
            payment_intent_destination_account_id,
            on_behalf_of_account_id,
            invoice_destination_account_id,
            metadata_creator_account_id,
            product_creator_account_id
        ) as creator_account_id,
        resolved_invoice_id as invoice_id,
        subscription_id,
        product_id,
        case
            when lower(coalesce(metadata_kind, payment_intent_metadata_kind, product_kind, '')) in ('tip', 'tips') then 'tip'
            when lower(coalesce(product_tier, '')) = 'custom'
                 or lower(coalesce(metadata_kind, payment_intent_metadata_kind, product_kind, '')) in ('custom', 'custom_tier', 'custom_subscription') then 'custom'
            when resolved_invoice_id is not null
                 or lower(coalesce(metadata_kind, payment_intent_metadata_kind, product_kind, '')) in ('subscription', 'tier', 'tier_subscription') then 'tier_subscription'
            else 'tip'
        end as product_kind,
        payment_method_type,
        case
            when card_wallet_type is not null then 'wallet'
            when payment_method_type in ('card', 'card_present', 'interac_present') then 'card'
            when payment_method_type in ('us_bank_account', 'sepa_debit', 'bacs_debit', 'acss_debit',
                                         'au_becs_debit', 'ach_debit', 'ach_credit_transfer', 'bank_transfer',
                                         'customer_balance', 'ideal', 'sofort', 'bancontact', 'eps', 'p24',
                                         'giropay', 'blik', 'fpx') then 'bank'
            when payment_method_type in ('paypal', 'link', 'cashapp', 'amazon_pay', 'apple_pay', 'google_pay',
                                         'alipay', 'wechat_pay', 'revolut_pay', 'klarna', 'mobilepay',
                                         'swish', 'grabpay', 'kakao_pay', 'naver_pay') then 'wallet'
            else 'other'
        end as payment_method_family,
        card_country,
        billing_country,
        outcome_type,
        outcome_risk_level,
        synced_at,
        {{ build_time() }} as built_at
    from with_product
)

select * from final
