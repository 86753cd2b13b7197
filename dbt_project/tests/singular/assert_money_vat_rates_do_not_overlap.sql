-- At most one standard VAT rate per country on any day.
select a.country_code, a.valid_from, b.valid_from as overlapping_from
from {{ ref('vat_rates') }} as a
inner join {{ ref('vat_rates') }} as b
    on a.country_code = b.country_code
    and a.valid_from < b.valid_from
    and (a.valid_to is null or a.valid_to >= b.valid_from)
