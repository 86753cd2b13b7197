"""The money marts on the small sandbox world, checked against figures computed here in Python
straight from the raw Stripe JSON (not from any SQL of ours): gross volume per currency and month,
payment counts, the ledger's balances, and three creators' net earnings."""
from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime, timezone
from decimal import ROUND_HALF_UP, Decimal

import pytest

from tests.dbt.conftest import make_duck_warehouse, make_pg_warehouse, run_dbt
from tests.dbt.money_world import load_world_fast, world_objects

MONEY_MARTS = (
    "+fct_balance_transactions +fct_revenue_monthly +fct_payment_success_rate_monthly "
    "+fct_creator_earnings_monthly +dim_creators +dim_creator_tiers_monthly +fct_balance_summary_monthly "
    "+fct_payout_reconciliation_itemized +fct_balance_activity_monthly +fct_creator_statements_monthly"
).split()
STANDARD_RATE = Decimal("0.05")


@pytest.fixture(scope="session")
def small_world(tmp_path_factory):
    from pipelines.sandbox.generate import generate_world

    path = tmp_path_factory.mktemp("money_world") / "world.sqlite"
    generate_world(path, size="small", seed=42)
    return path


@pytest.fixture(scope="session")
def raw(small_world):
    return world_objects(small_world)


@pytest.fixture(scope="module")
def duck(small_world, tmp_path_factory):
    wh = make_duck_warehouse(tmp_path_factory.mktemp("money_duck"))
    with wh.connect() as conn:
        load_world_fast(small_world, conn, "duckdb")
    run_dbt(wh.env, "build", "--indirect-selection=cautious", "--select", *MONEY_MARTS)
    return wh


# ---- the figures, from the raw JSON -------------------------------------------------------------

def _month(epoch: int) -> date:
    d = datetime.fromtimestamp(epoch, timezone.utc)
    return date(d.year, d.month, 1)


def _ref(value):
    return value["id"] if isinstance(value, dict) else value


def _objects(raw, table, platform_only=False):
    return [o for (t, account), objs in raw.items() if t == table and (account is None or not platform_only)
            for o in objs]


def _platform_bts(raw):
    return [o for (t, account), objs in raw.items() if t == "balance_transaction" and account is None for o in objs]


def expected_gross_volume(raw) -> dict[tuple[date, str], int]:
    out: dict[tuple[date, str], int] = defaultdict(int)
    for bt in _platform_bts(raw):
        if bt["reporting_category"] == "charge":
            out[(_month(bt["created"]), bt["currency"].upper())] += bt["amount"]
    return dict(out)


def expected_payment_counts(raw) -> dict[tuple[date, str], tuple[int, int]]:
    out: dict[tuple[date, str], list[int]] = defaultdict(lambda: [0, 0])
    for ch in _objects(raw, "charge", platform_only=True):
        key = (_month(ch["created"]), ch["currency"].upper())
        if ch["status"] == "succeeded":
            out[key][0] += 1
        elif ch["status"] == "failed":
            out[key][1] += 1
    return {k: tuple(v) for k, v in out.items()}


def expected_creator_earnings(raw) -> dict[tuple[str, date, str], dict[str, int]]:
    charges = {c["id"]: c for c in _objects(raw, "charge")}
    refunds = {r["id"]: r for r in _objects(raw, "refund")}
    disputes = {d["id"]: d for d in _objects(raw, "dispute")}
    transfers = {t["id"]: t for t in _objects(raw, "transfer")}
    reversals = {r["id"]: r for r in _objects(raw, "transfer_reversal")}

    def creator_of_charge(charge_id):
        charge = charges.get(charge_id)
        return _ref((charge.get("transfer_data") or {}).get("destination")) if charge else None

    out: dict[tuple[str, date, str], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for bt in _platform_bts(raw):
        source, category = _ref(bt["source"]), bt["reporting_category"]
        stripe_fee = (sum(f["amount"] for f in bt["fee_details"] if f["type"] != "application_fee")
                      if bt["fee_details"] else bt["fee"])
        kind = None
        if source in charges:
            creator = creator_of_charge(source)
        elif source in refunds:
            creator = creator_of_charge(_ref(refunds[source]["charge"]))
        elif source in disputes:
            creator = creator_of_charge(_ref(disputes[source]["charge"]))
        elif source in transfers:
            creator, kind = _ref(transfers[source]["destination"]), transfers[source]["metadata"].get("kind")
        elif source in reversals:
            transfer = transfers[_ref(reversals[source]["transfer"])]
            creator, kind = _ref(transfer["destination"]), transfer["metadata"].get("kind")
        else:
            continue
        if creator is None:
            continue
        row = out[(creator, _month(bt["created"]), bt["currency"].upper())]
        if category == "charge":
            row["gross_volume"] += bt["amount"]
        elif category in ("refund", "refund_failure"):
            row["refunds"] += bt["amount"]
        elif category in ("dispute", "dispute_reversal"):
            row["disputes"] += bt["amount"]
        elif category in ("transfer", "transfer_reversal") and kind == "bonus":
            row["bonuses"] -= bt["amount"]
        if category in ("charge", "refund", "refund_failure", "dispute", "dispute_reversal"):
            row["stripe_fees"] += stripe_fee
    for row in out.values():
        # every creator of the small world is below 1,000 active subscribers: the standard 5%
        row["commission"] = int((Decimal(row["gross_volume"]) * STANDARD_RATE).quantize(Decimal(1), ROUND_HALF_UP))
        row["net_earnings"] = (row["gross_volume"] + row["refunds"] + row["disputes"] - row["stripe_fees"]
                               - row["commission"] + row["bonuses"])
    return {k: dict(v) for k, v in out.items()}


def expected_balances(raw) -> dict[tuple[str, str], int]:
    out: dict[tuple[str, str], int] = defaultdict(int)
    for (table, account), objs in raw.items():
        if table == "balance_transaction":
            for bt in objs:
                out[(account or "platform", bt["currency"].upper())] += bt["net"]
    return dict(out)


def three_creators(raw) -> list[str]:
    """The creators with the most, the median and the least gross volume (different shapes)."""
    totals: dict[str, int] = defaultdict(int)
    for (creator, _, _), row in expected_creator_earnings(raw).items():
        totals[creator] += row["gross_volume"]
    ranked = sorted((c for c, v in totals.items() if v > 0), key=lambda c: (totals[c], c))
    return [ranked[-1], ranked[len(ranked) // 2], ranked[0]]


# ---- checks shared by both targets --------------------------------------------------------------

def _as_date(value) -> date:
    return value.date() if isinstance(value, datetime) else value


def check_gross_volume(wh, raw):
    expected = expected_gross_volume(raw)
    rows = wh.query("select revenue_month, currency, gross_volume from marts.fct_revenue_monthly where gross_volume <> 0")
    assert {(_as_date(m), c): int(v) for m, c, v in rows} == expected
    assert len(expected) >= 6  # six months of history at least


def check_creator_earnings(wh, raw):
    expected = expected_creator_earnings(raw)
    creators = three_creators(raw)
    columns = ["gross_volume", "refunds", "disputes", "stripe_fees", "commission", "bonuses", "net_earnings"]
    placeholders = ", ".join(f"'{c}'" for c in creators)
    rows = wh.query(f"select creator_account_id, month, currency, {', '.join(columns)} "
                    f"from marts.fct_creator_earnings_monthly where creator_account_id in ({placeholders})")
    got = {(r[0], _as_date(r[1]), r[2]): dict(zip(columns, map(int, r[3:]))) for r in rows}
    want = {k: {c: v.get(c, 0) for c in columns} for k, v in expected.items() if k[0] in creators}
    assert got == want
    assert sum(v["net_earnings"] for v in want.values()) != 0


def expected_statement_balances(raw) -> dict[tuple[str, date, str], tuple[int, int]]:
    """Per connected account, month and currency: (what the month moved, the balance at its end),
    from the account's own balance transactions in the raw JSON."""
    moved: dict[tuple[str, date, str], int] = defaultdict(int)
    for (table, account), objs in raw.items():
        if table == "balance_transaction" and account is not None:
            for bt in objs:
                moved[(account, _month(bt["created"]), bt["currency"].upper())] += bt["net"]
    out, running = {}, defaultdict(int)
    for key in sorted(moved, key=lambda k: (k[0], k[2], k[1])):
        running[(key[0], key[2])] += moved[key]
        out[key] = (moved[key], running[(key[0], key[2])])
    return out


def check_creator_statements(wh, raw):
    """Every creator statement's carried balance is the connected account's balance to the cent."""
    rows = wh.query("select creator_account_id, month, currency, net_earnings - payouts, closing_balance "
                    "from marts.fct_creator_statements_monthly")
    got = {(a, _as_date(m), c): (int(d), int(b)) for a, m, c, d, b in rows}
    assert got == expected_statement_balances(raw)
    assert len({c for _, _, c in got}) > 1  # creators are paid in their own currencies


# ---- DuckDB ------------------------------------------------------------------------------------

def test_gross_volume_per_currency_and_month_matches_the_raw_json(duck, raw):
    check_gross_volume(duck, raw)


def test_payment_counts_per_currency_and_month_match_the_raw_json(duck, raw):
    rows = duck.query("select revenue_month, currency, successful_payments, failed_payments "
                      "from marts.fct_revenue_monthly where successful_payments + failed_payments > 0")
    assert {(_as_date(m), c): (int(s), int(f)) for m, c, s, f in rows} == expected_payment_counts(raw)


def test_net_earnings_of_three_creators_match_the_raw_json(duck, raw):
    customers = len(_objects(raw, "customer"))
    assert customers < 1000  # so no creator can leave the standard tier in this world
    check_creator_earnings(duck, raw)
    check_creator_statements(duck, raw)
    tiers = duck.query("select distinct commission_tier from marts.dim_creator_tiers_monthly")
    assert tiers == [("standard",)]


def test_ledger_ends_at_the_sum_of_every_balance_transaction(duck, raw):
    rows = duck.query("""
        select balance_account, currency, ending_balance from (
            select *, row_number() over (partition by balance_account, currency order by month desc) as r
            from marts.fct_balance_summary_monthly) where r = 1""")
    assert {(a, c): int(b) for a, c, b in rows} == expected_balances(raw)
    # starting + activity + payouts = ending, every month
    assert duck.query("select count(*) from marts.fct_balance_summary_monthly "
                      "where starting_balance + activity_net + payouts <> ending_balance") == [(0,)]


def test_every_balance_transaction_is_in_the_mart_with_a_reporting_amount(duck, raw):
    total = sum(len(objs) for (t, _), objs in raw.items() if t == "balance_transaction")
    assert duck.query("select count(*), count(amount_reporting) from marts.fct_balance_transactions") == [(total, total)]
    # the platform settles in USD (the reporting currency): amounts carry over unchanged
    assert duck.query("select count(*) from marts.fct_balance_transactions "
                      "where currency = 'USD' and amount_reporting <> amount") == [(0,)]
    # Stripe converted the foreign-currency charges; their presentment side is the charge's
    converted = duck.query("""
        select count(*), sum(case when presentment_currency <> currency then 1 else 0 end)
        from marts.fct_balance_transactions
        where is_platform and exchange_rate is not null and reporting_category = 'charge'""")
    foreign = sum(1 for bt in _platform_bts(raw) if bt["exchange_rate"] is not None and bt["reporting_category"] == "charge")
    assert converted == [(foreign, foreign)] and foreign > 0


def _array_sum(values) -> int | None:
    """Like staging's list sum: None for a missing or empty array."""
    return sum(v["amount"] for v in values) if values else None


def test_invoices_in_staging_match_the_raw_json(duck, raw):
    """stg_stripe__invoices reads about thirty values of each payload through one JSON parse and the
    tax and discount arrays beside it; a value in the wrong place shows here (the invoice tax
    feeds the creator statements' sale before VAT)."""
    expected = {}
    for inv in _objects(raw, "invoice"):
        tax = next((t for t in (_array_sum(inv.get("total_taxes")), _array_sum(inv.get("total_tax_amounts")),
                                inv.get("tax")) if t is not None), 0)
        subscription = ((inv.get("parent") or {}).get("subscription_details") or {}).get("subscription") \
            or inv.get("subscription")
        expected[inv["id"]] = (_ref(inv["customer"]), _ref(subscription), inv["status"], inv["currency"].upper(),
                               inv["subtotal"], inv["total"], inv["amount_paid"], tax,
                               _array_sum(inv.get("total_discount_amounts")) or 0,
                               (inv.get("status_transitions") or {}).get("paid_at"))
    rows = duck.query("select invoice_id, customer_id, subscription_id, status, currency, subtotal, total, "
                      "amount_paid, tax_amount, discount_amount, epoch(paid_at) from staging.stg_stripe__invoices")
    got = {r[0]: (*r[1:10], None if r[10] is None else int(r[10])) for r in rows}
    assert got == expected
    assert sum(1 for v in expected.values() if v[7]) > 10 and sum(1 for v in expected.values() if v[8]) > 0


def test_revenue_identity_holds_per_day_and_currency(duck):
    assert duck.query("""
        select count(*) from marts.fct_revenue_daily
        where platform_net_revenue <> gross_volume + refunds + dispute_losses + dispute_reversals
              + application_fees + transfers_to_creators + other_activity - stripe_fees
           or platform_net_revenue_reporting <> gross_volume_reporting + refunds_reporting
              + dispute_losses_reporting + dispute_reversals_reporting + application_fees_reporting
              + transfers_to_creators_reporting + other_activity_reporting - stripe_fees_reporting""") == [(0,)]


def test_charges_know_their_creator_and_product_kind(duck, raw):
    kinds = dict(duck.query("select product_kind, count(*) from intermediate.int_payments__charges group by 1"))
    tips = sum(1 for c in _objects(raw, "charge") if c["metadata"].get("kind") == "tip")
    assert kinds["tip"] == tips
    assert kinds.get("custom", 0) > 0 and kinds.get("tier_subscription", 0) > 0
    assert duck.query("select count(*) from intermediate.int_payments__charges where creator_account_id is null") == [(0,)]


def test_incremental_run_and_full_refresh_rebuild_the_same_rows(duck):
    fingerprint = ("select count(*), sum(amount), sum(amount_reporting), sum(fee_reporting), "
                   "count(distinct balance_transaction_id) from marts.fct_balance_transactions")
    before = duck.query(fingerprint)
    run_dbt(duck.env, "run", "--select", "fct_balance_transactions")
    assert duck.query(fingerprint) == before
    run_dbt(duck.env, "run", "--full-refresh", "--select", "fct_balance_transactions")
    assert duck.query(fingerprint) == before


# ---- PostgreSQL ---------------------------------------------------------------------------------

@pytest.mark.postgres
def test_postgres_builds_the_same_money_marts(small_world, raw, tmp_path_factory):
    wh = make_pg_warehouse("cb_t_money_world", tmp_path_factory.mktemp("money_pg"))
    conn = wh.connect()
    try:
        load_world_fast(small_world, conn, "postgres")
    finally:
        conn.close()
    run_dbt(wh.env, "build", "--indirect-selection=cautious", "--select", *MONEY_MARTS)
    check_gross_volume(wh, raw)
    check_creator_earnings(wh, raw)
    check_creator_statements(wh, raw)
