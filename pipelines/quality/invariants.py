"""Money invariants: each returns a `Verdict` a Dagster asset check turns into its result.

Why these four: the ledger mart must hold exactly what Stripe's balance transactions say (per
account and currency, to the minor unit) before payouts read it; revenue must sum back to the raw
charges it came from; a rejected object must carry the field and reason that explain it; and a
stale landing must be visible before anyone reads a report built on it. Amounts are compared as
integers in minor units per currency, never added across currencies."""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone

from pipelines.quality.reader import Query, dialect_of, payload_fields, relation_exists

MAX_LISTED = 20  # mismatches shown in a check's metadata


@dataclass(frozen=True)
class Verdict:
    name: str
    passed: bool
    summary: str
    mismatches: list[dict] = field(default_factory=list)
    metadata: dict = field(default_factory=dict)


def _int(value) -> int:
    return 0 if value is None else int(value)


def _compare(name: str, what: str, left: dict, right: dict, left_label: str, right_label: str,
             metrics: tuple[str, ...]) -> Verdict:
    """Two {key: {metric: int}} maps must agree key by key and metric by metric."""
    mismatches = []
    for key in sorted(set(left) | set(right), key=lambda k: tuple(str(p) for p in k)):
        a, b = left.get(key, {}), right.get(key, {})
        for metric in metrics:
            if _int(a.get(metric)) != _int(b.get(metric)):
                mismatches.append({"key": list(key), "metric": metric,
                                   left_label: _int(a.get(metric)), right_label: _int(b.get(metric)),
                                   "difference": _int(a.get(metric)) - _int(b.get(metric))})
    passed = not mismatches
    summary = (f"{what}: {len(left)} groups agree on {', '.join(metrics)}" if passed else
               f"{what}: {len(mismatches)} differences in {len({tuple(m['key']) for m in mismatches})} groups")
    return Verdict(name, passed, summary, mismatches[:MAX_LISTED],
                   {"groups": len(set(left) | set(right)), "differences": len(mismatches)})


def ledger_raw_sql(dialect: str) -> str:
    j, f = payload_fields(dialect, ("currency", "amount", "fee", "net"))
    return f"""
select coalesce(account, '') as account, upper({f['currency']}) as currency,
       count(*) as n,
       sum(cast({f['amount']} as bigint)) as amount,
       sum(cast({f['fee']} as bigint)) as fee,
       sum(cast({f['net']} as bigint)) as net
from (select account, {j} as _j from raw_stripe.balance_transaction where not is_deleted) as bt
group by 1, 2
"""


LEDGER_MART_SQL = """
select coalesce(account_id, '') as account, currency, count(*) as n,
       sum(amount) as amount, sum(fee) as fee, sum(net) as net
from marts.fct_balance_transactions
group by 1, 2
"""
LEDGER_ROW_SQL = """
select count(*) from marts.fct_balance_transactions
where net <> amount - fee or amount is null or currency is null
"""


def ledger_balances(query: Query) -> Verdict:
    """The balance ledger mart == Stripe's balance transactions, per account and currency:
    row count, amount, fee and net to the minor unit; and every row nets (net = amount - fee)."""
    def by_key(sql):
        return {(r[0], r[1]): {"n": r[2], "amount": r[3], "fee": r[4], "net": r[5]} for r in query(sql)}

    verdict = _compare("ledger_balances_to_stripe", "ledger vs Stripe balance transactions",
                       by_key(LEDGER_MART_SQL), by_key(ledger_raw_sql(dialect_of(query))), "ledger", "stripe",
                       ("n", "amount", "fee", "net"))
    broken_rows = _int(query(LEDGER_ROW_SQL)[0][0])
    if broken_rows:
        return Verdict(verdict.name, False, verdict.summary + f"; {broken_rows} rows where net != amount - fee",
                       verdict.mismatches, {**verdict.metadata, "rows_not_netting": broken_rows})
    return Verdict(verdict.name, verdict.passed, verdict.summary, verdict.mismatches,
                   {**verdict.metadata, "rows_not_netting": 0})


REVENUE_MART_SQL = """
select currency, sum(gross_volume) as gross_volume, sum(successful_payments) as succeeded,
       sum(failed_payments) as failed
from marts.fct_revenue_daily
group by 1
"""
def raw_charges_sql(dialect: str) -> str:
    """Per currency: the platform's gross volume (its charges' balance transactions, in the
    balance transaction's currency) tagged 'volume', and succeeded and failed charges (in the
    charge's currency) tagged 'counts'. Each charge and balance transaction is parsed once."""
    cj, c = payload_fields(dialect, ("balance_transaction", "currency", "status"))
    bj, b = payload_fields(dialect, ("currency", "amount"))
    return f"""
with ch as materialized (
    select {c['balance_transaction']} as bt_id, upper({c['currency']}) as currency, {c['status']} as status
    from (select {cj} as _j from raw_stripe.charge where account is null and not is_deleted) as p
), volume as (
    select upper({b['currency']}) as currency, sum(cast({b['amount']} as bigint)) as gross_volume
    from ch
    join (select id, {bj} as _j from raw_stripe.balance_transaction
          where account is null and not is_deleted and id in (select bt_id from ch)) as bt
      on bt.id = ch.bt_id
    group by 1
)
select 'volume', currency, gross_volume, null from volume
union all
select 'counts', currency, sum(case when status = 'succeeded' then 1 else 0 end),
       sum(case when status = 'failed' then 1 else 0 end)
from ch group by currency
"""


def revenue_sums_back_to_charges(query: Query) -> Verdict:
    """fct_revenue_daily summed over all days == the platform's raw charges, per currency: gross
    volume from each charge's balance transaction, succeeded and failed payments counted."""
    mart = {(r[0],): {"gross_volume": r[1], "succeeded": r[2], "failed": r[3]} for r in query(REVENUE_MART_SQL)}
    raw: dict = {}
    for tag, currency, first, second in query(raw_charges_sql(dialect_of(query))):
        if tag == "volume":
            raw.setdefault((currency,), {})["gross_volume"] = first
        else:
            raw.setdefault((currency,), {}).update(succeeded=first, failed=second)
    # a currency with no activity at all on either side is no difference
    mart = {k: v for k, v in mart.items() if any(_int(x) for x in v.values())}
    return _compare("revenue_sums_back_to_charges", "fct_revenue_daily vs raw charges", mart, raw,
                    "mart", "raw", ("gross_volume", "succeeded", "failed"))


REJECTS_SQL = """
select object_type, coalesce(reason, '') as reason, coalesce(field, '') as field, count(*)
from raw_stripe._rejected
group by 1, 2, 3
order by 1, 2, 3
"""


def rejects_by_type(query: Query) -> list[tuple]:
    """raw_stripe._rejected grouped by (type, reason, field): read once for every table's check."""
    return query(REJECTS_SQL)


def rejects_explained(query: Query, object_type: str | None = None, *, rows: list[tuple] | None = None) -> Verdict:
    """Every object in raw_stripe._rejected names the field at fault and the reason; the
    metadata counts them by type and reason so finance sees what was held back. `rows`: what
    rejects_by_type read already."""
    if rows is None:
        if not relation_exists(query, "raw_stripe._rejected"):
            return Verdict("rejects_explained", True, "no rejects table yet", [], {"rejected": 0})
        rows = rejects_by_type(query)
    rows = [r for r in rows if object_type is None or r[0] == object_type]
    unexplained = [{"object_type": t, "field": f, "reason": why, "count": int(n)}
                   for t, why, f, n in rows if not why.strip() or not f.strip()]
    by_reason = {f"{t}: {why[:80]}": int(n) for t, why, f, n in rows if why.strip() and f.strip()}
    total = sum(int(r[3]) for r in rows)
    passed = not unexplained
    summary = (f"{total} rejected objects, each with its field and reason" if passed else
               f"{sum(u['count'] for u in unexplained)} of {total} rejected objects lack a field or reason")
    return Verdict("rejects_explained", passed, summary, unexplained[:MAX_LISTED],
                   {"rejected": total, "by_reason": by_reason})


# transfer reversals are read through each transfer, so their freshness is the transfers'
FRESHNESS_STREAM = {"transfer_reversal": "transfer"}


def last_synced_by_stream(query: Query) -> dict[str, datetime]:
    """The newest sync of each stream (any account), read once for every table's check."""
    return {stream: last for stream, last in
            query("select stream, max(updated_at) from raw_stripe._sync_state group by stream")}


def raw_freshness(query: Query, table: str, *, now: datetime, max_age: timedelta,
                  last_synced: dict[str, datetime] | None = None) -> Verdict:
    """The newest successful sync of the table's stream (any account) is younger than max_age.
    `last_synced`: what last_synced_by_stream read already."""
    stream = FRESHNESS_STREAM.get(table, table)
    if last_synced is None:
        rows = query(f"select max(updated_at) from raw_stripe._sync_state where stream = '{stream}'")
        last = rows[0][0] if rows else None
    else:
        last = last_synced.get(stream)
    if last is None:
        return Verdict("raw_fresh", False, f"raw_stripe.{table} has never been synced", [],
                       {"stream": stream})
    if last.tzinfo is None:
        last = last.replace(tzinfo=timezone.utc)
    age = now - last
    passed = age <= max_age
    summary = (f"last synced {age.total_seconds() / 3600:.1f} h ago (limit {max_age.total_seconds() / 3600:.0f} h)")
    return Verdict("raw_fresh", passed, summary, [],
                   {"stream": stream, "last_synced_at": last.isoformat(),
                    "age_hours": round(age.total_seconds() / 3600, 2)})
