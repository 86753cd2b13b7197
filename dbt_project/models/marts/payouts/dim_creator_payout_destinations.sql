{#-
  The bank accounts and debit cards (external accounts) of each creator, per currency: a payout
  in a currency goes to the one marked default_for_currency. A changed id for a currency is a
  changed bank account, which lifts the hold a failed payout puts on the next one.
-#}
with accounts as (
    select * from {{ source('stripe', 'account') }}
    where not is_deleted and account is null
),

externals as (
    select
        accounts.id as creator_account_id,
        {{ json_text('ext.value', 'id') }} as external_account_id,
        {{ json_text('ext.value', 'object') }} as external_account_type,
        upper({{ json_text('ext.value', 'currency') }}) as currency,
        coalesce({{ json_bool('ext.value', 'default_for_currency') }}, false) as is_default_for_currency,
        {{ json_text('ext.value', 'status') }} as status,
        {{ json_text('ext.value', 'last4') }} as last4,
        ext.ordinal as list_position
    from accounts
    cross join {{ json_each('accounts.payload', 'external_accounts.data', 'ext') }}
),

final as (
    select * from externals
)

select * from final
