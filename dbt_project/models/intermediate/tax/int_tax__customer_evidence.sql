{#-
  Per customer, the location evidence and tax number VAT rules need (Implementing Regulation
  282/2011 art. 24b/24f): billing country and state from the customer's address, the country of
  the sign-up IP (metadata.ip_country), and the first EU/UK VAT number on file (eu_vat, gb_vat,
  ch_vat, no_vat). Whether a number is valid is decided downstream (python-stdnum), not here.
-#}
with customers as (
    select * from {{ ref('stg_stripe__customers') }}
),

vat_numbers as (
    select customer_id, min(tax_id_value) as vat_number, min(tax_id_type) as vat_number_type
    from {{ ref('stg_stripe__customer_tax_ids') }}
    where tax_id_type in ('eu_vat', 'gb_vat', 'ch_vat', 'no_vat')
    group by customer_id
),

final as (
    select
        customers.customer_id,
        upper(customers.address_country) as billing_country,
        upper(customers.address_state) as billing_state,
        upper({{ json_text('customers.metadata', 'ip_country') }}) as ip_country,
        customers.tax_exempt,
        vat_numbers.vat_number,
        vat_numbers.vat_number_type
    from customers
    left join vat_numbers on vat_numbers.customer_id = customers.customer_id
)

select * from final
