{#-
  Disputes that are still open, with the creator who earned the disputed charge and what the
  payout plan must keep back for each.
  A dispute on a destination charge lives on the platform: Stripe debits the platform, and the
  platform recovers the creator's share by reversing the transfer. What is not yet reversed is
  at risk, so it is reserved in the transfer's currency (the creator's balance currency).
  A dispute on the creator's own account was already withdrawn from that balance by Stripe:
  nothing more to reserve.
-#}
with disputes as (
    select * from {{ ref('stg_stripe__disputes') }}
    where status in ('warning_needs_response', 'warning_under_review', 'needs_response', 'under_review')
),

charges as (
    select charge_id, creator_account_id from {{ ref('int_payments__charges') }}
),

transfers as (
    select transfer_id, source_transaction_id, destination_account_id, amount, amount_reversed, currency
    from {{ ref('stg_stripe__transfers') }}
),

charge_transfers as (
    -- a charge normally has one transfer; if a platform split it, reserve against all of them
    select
        source_transaction_id as charge_id,
        destination_account_id,
        currency,
        sum(amount) as transferred,
        sum(coalesce(amount_reversed, 0)) as reversed,
        min(transfer_id) as transfer_id
    from transfers
    where source_transaction_id is not null
    group by source_transaction_id, destination_account_id, currency
),

joined as (
    select
        disputes.dispute_id,
        disputes.account_id as dispute_account_id,
        disputes.created_at,
        disputes.status,
        disputes.reason,
        disputes.charge_id,
        disputes.amount as dispute_amount,
        disputes.currency as dispute_currency,
        coalesce(disputes.account_id, charge_transfers.destination_account_id, charges.creator_account_id)
            as creator_account_id,
        charge_transfers.transfer_id,
        case when disputes.account_id is not null then disputes.currency else charge_transfers.currency end
            as currency,
        case when disputes.account_id is null then charge_transfers.transferred end as creator_share,
        case when disputes.account_id is null then charge_transfers.reversed end as recovered
    from disputes
    left join charges on charges.charge_id = disputes.charge_id
    left join charge_transfers on charge_transfers.charge_id = disputes.charge_id
),

final as (
    select
        dispute_id,
        creator_account_id,
        dispute_account_id,
        created_at,
        status,
        reason,
        charge_id,
        transfer_id,
        dispute_amount,
        dispute_currency,
        currency,
        cast(creator_share as bigint) as creator_share,
        cast(recovered as bigint) as recovered,
        cast(case
            when dispute_account_id is not null then 0
            when creator_share is null then 0
            when creator_share - recovered > 0 then creator_share - recovered
            else 0
        end as bigint) as reserve_amount,
        case
            when dispute_account_id is not null then 'withdrawn from the creator''s balance by Stripe'
            when creator_share is null then 'no transfer to a creator for this charge'
            when creator_share - recovered > 0 then 'creator''s share not yet reversed'
            else 'creator''s share already reversed'
        end as reserve_reason
    from joined
    where creator_account_id is not null
)

select * from final
