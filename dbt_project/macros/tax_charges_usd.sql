{#-
  int_tax__charges_usd, incremental by charge. A row reads its charge's row in
  int_payments__charges, the charge's balance transaction and the ECB rates of the charge's day,
  so a run rebuilds
    - the charges int_payments__charges wrote since this table's last run (built_at: that model
      rebuilds a charge when anything it reads changed);
    - the charges whose balance transaction was written since the newest one this table read
      (staging's synced_at, so a balance transaction landed after its charge is picked up);
    - the charges of the last 7 days before this table's newest, for late ECB rates.
  Each maximum is read before anything is deleted; an empty table rebuilds everything.
-#}
{% macro tax_charges_usd_changed() -%}
    select charge_id from {{ ref('int_payments__charges') }}
    where built_at > {{ last_built_at() }}
       or {{ within_late_rate_days('created_at') }}
    union
    select charges.charge_id
    from {{ ref('int_payments__charges') }} as charges
    inner join {{ ref('stg_stripe__balance_transactions') }} as balance_transactions
        on balance_transactions.balance_transaction_id = charges.balance_transaction_id
    where balance_transactions.synced_at >= (
        select coalesce(max(balance_transaction_synced_at), cast('1970-01-01 00:00:00+00' as timestamptz))
        from {{ this }})
{%- endmacro %}

{#- After the insert: drop the rows whose charge is gone (deleted) or no longer counts (not
    succeeded, or without a creator), which no rebuilt row replaced. -#}
{% macro tax_charges_usd_drop_gone() -%}
  {%- if is_incremental() -%}
    delete from {{ this }} where charge_id in (
        select held.charge_id
        from {{ this }} as held
        left join {{ ref('int_payments__charges') }} as charges
            on charges.charge_id = held.charge_id
           and charges.status = 'succeeded'
           and charges.creator_account_id is not null
        where charges.charge_id is null
    )
  {%- endif -%}
{%- endmacro %}
