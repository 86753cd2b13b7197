{#-
  The 1099-K basis: one row per payment transaction settled to a creator (a succeeded
  destination charge), gross in USD cents. Gross means gross (Form 1099-K box 1a): refunds,
  fees and commission are never deducted; the refunded amount is kept apart for reference.
  Card not present (box 1b): online card payments, wallets included; card_present and bank
  debits are not.
  A view: one row per row of int_tax__charges_usd, which is incremental; as a table it rewrote
  every charge each build (1.0-1.2 s of the large world's day, bench/README session 10).
-#}
{{ config(materialized='view') }}
with charges as (
    select * from {{ ref('int_tax__charges_usd') }}
),

final as (
    select
        charge_id,
        creator_account_id,
        customer_id,
        invoice_id,
        created_at,
        cast(created_at as date) as paid_on,
        cast(extract(year from created_at) as integer) as tax_year,
        cast(extract(month from created_at) as integer) as payment_month,
        currency,
        amount,
        usd_conversion,
        gross_usd_cents,
        amount_refunded,
        refunded_usd_cents,
        payment_method_type,
        payment_method_family in ('card', 'wallet') and coalesce(payment_method_type, 'card') <> 'card_present'
            as is_card_not_present,
        product_kind
    from charges
)

select * from final
