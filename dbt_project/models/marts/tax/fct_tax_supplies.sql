{#-
  The VAT basis (EU OSS, UK VAT, digital-services monitoring, US nexus): one row per supply or
  correction, in the invoice currency's minor units.
  - invoice: a finalised subscription invoice (paid or open; void and uncollectible are not
    supplies), taxable = total excluding tax, VAT = the tax Stripe charged on it.
  - credit_note: an issued credit note, negative, dated when issued; supply_date is the date of
    the invoice it corrects (which quarter it corrects).
  - refund: a refund of an invoiced charge that no credit note covers, negative, split into net
    and VAT in the invoice's own proportion (half-up once).
  Tips (charges without an invoice) are gifts to the creator with no supply in return and are
  not VAT supplies. Location evidence: billing country (invoice address, else the customer's),
  IP country (customer sign-up, else the charge's client IP), card country (the paying charge).
  reported_on says which return the row belongs to; supply_date which period it concerns.
-#}
with invoices as (
    select * from {{ ref('stg_stripe__invoices') }}
    where status in ('paid', 'open')
),

customers as (
    select * from {{ ref('int_tax__customer_evidence') }}
),

paying_charges as (
    select
        invoice_id,
        min(charge_id) as charge_id,
        min(card_country) as card_country,
        min(upper({{ json_text('metadata', 'ip_country') }})) as charge_ip_country
    from {{ ref('int_payments__charges') }} as charges
    left join (select charge_id as cid, metadata from {{ ref('stg_stripe__charges') }}) as raw_charges
        on raw_charges.cid = charges.charge_id
    where status = 'succeeded' and invoice_id is not null
    group by invoice_id
),

invoice_rows as (
    select
        'invoice' as source_type,
        invoices.invoice_id as source_id,
        invoices.invoice_id,
        invoices.customer_id,
        cast(coalesce(invoices.finalized_at, invoices.created_at) as date) as reported_on,
        cast(coalesce(invoices.finalized_at, invoices.created_at) as date) as supply_date,
        invoices.currency,
        invoices.total_excluding_tax as taxable_amount,
        invoices.tax_amount as vat_amount,
        upper(invoices.customer_country) as invoice_country
    from invoices
    where invoices.total_excluding_tax <> 0 or invoices.tax_amount <> 0
),

credit_note_rows as (
    select
        'credit_note' as source_type,
        credit_notes.credit_note_id as source_id,
        credit_notes.invoice_id,
        invoices.customer_id,
        cast(coalesce(credit_notes.effective_at, credit_notes.created_at) as date) as reported_on,
        cast(coalesce(invoices.finalized_at, invoices.created_at) as date) as supply_date,
        credit_notes.currency,
        -credit_notes.total_excluding_tax as taxable_amount,
        -(credit_notes.total - credit_notes.total_excluding_tax) as vat_amount,
        upper(invoices.customer_country) as invoice_country
    from {{ ref('stg_stripe__credit_notes') }} as credit_notes
    inner join invoices on invoices.invoice_id = credit_notes.invoice_id
    where credit_notes.status = 'issued'
),

credited_refunds as (
    select distinct refund_id from {{ ref('stg_stripe__credit_notes') }}
    where refund_id is not null and status = 'issued'
),

refund_rows as (
    select
        'refund' as source_type,
        refunds.refund_id as source_id,
        invoices.invoice_id,
        invoices.customer_id,
        cast(refunds.created_at as date) as reported_on,
        cast(coalesce(invoices.finalized_at, invoices.created_at) as date) as supply_date,
        invoices.currency,
        -{{ int_div_half_up('cast(refunds.amount as ' ~ exact_int_type() ~ ') * invoices.total_excluding_tax', 'invoices.total') }} as taxable_amount,
        -refunds.amount + {{ int_div_half_up('cast(refunds.amount as ' ~ exact_int_type() ~ ') * invoices.total_excluding_tax', 'invoices.total') }} as vat_amount,
        upper(invoices.customer_country) as invoice_country
    from {{ ref('stg_stripe__refunds') }} as refunds
    inner join {{ ref('int_payments__charges') }} as charges on charges.charge_id = refunds.charge_id
    inner join invoices on invoices.invoice_id = charges.invoice_id
    left join credited_refunds on credited_refunds.refund_id = refunds.refund_id
    where refunds.status = 'succeeded'
        and credited_refunds.refund_id is null
        and invoices.total > 0
        and upper(refunds.currency) = invoices.currency
),

all_rows as (
    select * from invoice_rows
    union all
    select * from credit_note_rows
    union all
    select * from refund_rows
),

final as (
    select
        all_rows.source_type,
        all_rows.source_id,
        all_rows.invoice_id,
        all_rows.customer_id,
        all_rows.reported_on,
        all_rows.supply_date,
        all_rows.currency,
        all_rows.taxable_amount,
        all_rows.vat_amount,
        case when all_rows.taxable_amount <> 0
            then {{ int_div_half_up('cast(all_rows.vat_amount as ' ~ exact_int_type() ~ ') * 10000', 'abs(all_rows.taxable_amount)') }}
                 * (case when all_rows.taxable_amount < 0 then -1 else 1 end)
        end as charged_rate_basis_points,
        coalesce(all_rows.invoice_country, customers.billing_country) as billing_country,
        customers.billing_state,
        coalesce(customers.ip_country, paying_charges.charge_ip_country) as ip_country,
        paying_charges.card_country,
        paying_charges.charge_id,
        customers.vat_number,
        customers.vat_number_type
    from all_rows
    left join customers on customers.customer_id = all_rows.customer_id
    left join paying_charges on paying_charges.invoice_id = all_rows.invoice_id
)

select * from final
