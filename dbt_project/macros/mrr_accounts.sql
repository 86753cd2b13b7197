{#-
  int_subscriptions__mrr_accounts_monthly, incremental by month and account: the pre-hook deletes
  every row a full build would change, the model's select then adds every row the table is missing.
  A row (month M, account A) reads A's paying MRR in M and in the month before, A's first paid
  month, and the snapshots and ECB rates of M and the month before, so the pre-hook deletes
    - the rows of (M, A) and (M + 1, A) where A's paying MRR in M differs from the table's (set
      differences both ways, so late-arriving or corrected invoices of any month count);
    - every row of an account whose first paid month differs;
    - every row from the month the previous build was still running (its snapshot has moved on)
      and from the month of the newest rate day less 7 days (a late ECB rate replaces a
      carried-forward one, as in fct_balance_transactions);
    - the rows of months no longer in the month spine.
-#}

{#- Each account's MRR in each month where it pays (MRR > 0), in both views. -#}
{% macro mrr_accounts_paying() -%}
    select
        *,
        mrr_view || '|' || customer_id || '|' || coalesce(creator_account_id, '') || '|' || currency as mrr_account_key
    from (
        select month, 'platform' as mrr_view, customer_id, cast(null as varchar) as creator_account_id, currency, sum(mrr) as mrr
        from {{ ref('int_subscriptions__mrr_monthly') }}
        group by month, customer_id, currency
        union all
        select month, 'creator' as mrr_view, customer_id, creator_account_id, currency, sum(mrr) as mrr
        from {{ ref('int_subscriptions__mrr_monthly') }}
        group by month, customer_id, creator_account_id, currency
    ) as by_view
    where mrr > 0
{%- endmacro %}

{% macro mrr_accounts_delete_changed() -%}
  {%- if is_incremental() -%}
    delete from {{ this }}
    where month not in (select month from {{ ref('int_subscriptions__months') }})
       or month >= (
            select least(
                (select max(month) from {{ this }}),
                {{ month_start("(select max(rate_date) from " ~ ref('int_fx__daily_rates') ~ ") - interval '" ~ late_rate_days() ~ " days'") }}
            )
       )
       or mrr_account_key || '@' || cast(month as varchar) in (
            with paying as (
                {{ mrr_accounts_paying() }}
            ),

            held_paying as (
                select month, mrr_account_key, mrr from {{ this }} where mrr > 0
            ),

            changed as (
                select month, mrr_account_key, mrr from paying
                except
                select month, mrr_account_key, mrr from held_paying
                union
                (select month, mrr_account_key, mrr from held_paying
                 except
                 select month, mrr_account_key, mrr from paying)
            ),

            changed_firsts as (
                select mrr_account_key from (
                    select mrr_account_key, min(month) as first_paid_month from paying group by mrr_account_key
                    except
                    select distinct mrr_account_key, first_paid_month from {{ this }}
                ) as differing
            )

            select mrr_account_key || '@' || cast(month as varchar) from changed
            union all
            select mrr_account_key || '@' || cast(cast(month + interval '1 month' as date) as varchar) from changed
            union all
            select held.mrr_account_key || '@' || cast(held.month as varchar) from {{ this }} as held
            where held.mrr_account_key in (select mrr_account_key from changed_firsts)
       )
  {%- endif -%}
{%- endmacro %}
