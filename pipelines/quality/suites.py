"""Great Expectations (GX Core 1.x) suites for the raw landing tables and the key marts, built in
code. A suite is plain data (`SuiteSpec`: the SQL of the frame it reads and its expectations as
(GX class name, arguments)), so the rules read like a table and GX is imported only when a suite
runs (importing it costs seconds).

What they guard: ids unique, `created` in a sane range, the `object` field of the right type,
currencies in the `currencies` seed, statuses and reporting categories from Stripe's documented
sets, amounts never negative where Stripe never makes them so, a row count no lower than what the
API delivered, and a median charge amount in a believable band (a distribution check)."""
from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from functools import cache
from pathlib import Path

from pipelines.catalog import OBJECT_TYPES
from pipelines.quality.reader import Query
from pipelines.settings import PROJECT_ROOT

CURRENCIES_SEED = PROJECT_ROOT / "dbt_project" / "seeds" / "currencies.csv"
EARLIEST_CREATED = 1_262_304_000  # 2010-01-01: Stripe objects are not older

REPORTING_CATEGORIES = (
    "charge", "refund", "refund_failure", "dispute", "dispute_reversal", "platform_earning",
    "platform_earning_refund", "transfer", "transfer_reversal", "fee", "payout", "payout_reversal",
    "payout_minimum_balance_hold", "payout_minimum_balance_release", "topup", "topup_reversal",
    "connect_reserved_funds", "connect_collateral", "contribution", "other_adjustment",
    "partial_capture_reversal", "risk_reserved_funds", "tax", "unreconciled_customer_funds",
    "advance", "advance_funding", "anticipation_repayment", "climate_order_purchase",
    "climate_order_refund", "issuing_authorization_hold", "issuing_authorization_release",
    "issuing_dispute", "issuing_transaction", "obligation_inbound", "obligation_outbound",
)
STATUSES = {
    "charge": ("succeeded", "pending", "failed"),
    "refund": ("succeeded", "pending", "failed", "canceled", "requires_action"),
    "payout": ("paid", "pending", "in_transit", "canceled", "failed"),
    "invoice": ("draft", "open", "paid", "uncollectible", "void"),
    "subscription": ("incomplete", "incomplete_expired", "trialing", "active", "past_due",
                     "canceled", "unpaid", "paused"),
    "dispute": ("warning_needs_response", "warning_under_review", "warning_closed", "needs_response",
                "under_review", "won", "lost", "prevented"),
    "payment_intent": ("requires_payment_method", "requires_confirmation", "requires_action",
                       "processing", "requires_capture", "canceled", "succeeded"),
    "balance_transaction": ("available", "pending"),
}
# money fields Stripe never makes negative on these objects (balance transactions can be)
NON_NEGATIVE_AMOUNT = ("charge", "refund", "payout", "dispute", "transfer", "application_fee",
                       "payment_intent", "transfer_reversal")
CURRENCY_TABLES = NON_NEGATIVE_AMOUNT + ("balance_transaction", "invoice", "price", "credit_note")
MAX_AMOUNT = 10_000_000_000  # 100 million major units of a 2-decimal currency: surely an error


@dataclass(frozen=True)
class SuiteSpec:
    name: str
    columns: tuple[str, ...]
    sql: str
    expectations: tuple[tuple[str, dict], ...]
    row_count_source: str = ""  # how the minimum row count is found (for the docs)


@dataclass(frozen=True)
class SuiteOutcome:
    name: str
    success: bool
    evaluated: int
    failed: list[dict] = field(default_factory=list)
    row_count: int = 0

    def metadata(self) -> dict:
        return {"suite": self.name, "expectations": self.evaluated, "failed": len(self.failed),
                "row_count": self.row_count}


@cache
def seed_currencies() -> tuple[str, ...]:
    with open(CURRENCIES_SEED, newline="") as f:
        return tuple(sorted(row["currency_code"].upper() for row in csv.DictReader(f)))


def _now_epoch() -> int:
    return int(datetime.now(timezone.utc).timestamp())


def raw_suite(table: str, *, min_rows: int = 0, now_epoch: int | None = None) -> SuiteSpec:
    """The suite of raw_stripe.<table>: generic contract expectations plus the table's own."""
    t = next(t for t in OBJECT_TYPES if t.table == table)
    latest = (now_epoch or _now_epoch()) + 2 * 86_400
    columns = ["id", "account", "created", "is_deleted", "object"]
    extra_sql = []
    if table in CURRENCY_TABLES:
        columns.append("currency")
        extra_sql.append("upper(payload->>'currency') as currency")
    amount_field = {"invoice": "total", "price": "unit_amount", "credit_note": "total"}.get(table, "amount")
    if table in CURRENCY_TABLES:
        columns.append("amount")
        extra_sql.append(f"cast(payload->>'{amount_field}' as bigint) as amount")
    if table in STATUSES:
        columns.append("status")
        extra_sql.append("payload->>'status' as status")
    if table == "balance_transaction":
        columns += ["fee", "reporting_category"]
        extra_sql += ["cast(payload->>'fee' as bigint) as fee", "payload->>'reporting_category' as reporting_category"]
    sql = ("select id, account, created, is_deleted, payload->>'object' as object"
           + "".join(", " + s for s in extra_sql) + f" from raw_stripe.{table}")

    ex: list[tuple[str, dict]] = [
        ("ExpectColumnValuesToNotBeNull", {"column": "id"}),
        ("ExpectColumnValuesToBeUnique", {"column": "id"}),
        ("ExpectColumnValuesToBeBetween", {"column": "created", "min_value": EARLIEST_CREATED,
                                           "max_value": latest}),
        ("ExpectColumnValuesToBeInSet", {"column": "object", "value_set": [t.object]}),
        ("ExpectTableRowCountToBeBetween", {"min_value": min_rows}),
    ]
    if table in CURRENCY_TABLES:
        ex.append(("ExpectColumnValuesToBeInSet", {"column": "currency", "value_set": list(seed_currencies())}))
        ex.append(("ExpectColumnValuesToBeBetween", {"column": "amount", "max_value": MAX_AMOUNT}))
    if table in NON_NEGATIVE_AMOUNT:
        ex.append(("ExpectColumnValuesToNotBeNull", {"column": "amount"}))
        ex.append(("ExpectColumnValuesToBeBetween", {"column": "amount", "min_value": 0}))
    if table in STATUSES:
        ex.append(("ExpectColumnValuesToBeInSet", {"column": "status", "value_set": list(STATUSES[table])}))
    if table == "balance_transaction":
        ex.append(("ExpectColumnValuesToBeInSet", {"column": "reporting_category",
                                                    "value_set": list(REPORTING_CATEGORIES)}))
        ex.append(("ExpectColumnValuesToBeBetween", {"column": "fee", "min_value": 0}))
    if table == "charge":
        # distribution: the median charge lies between 0.50 and 10,000 major units
        ex.append(("ExpectColumnMedianToBeBetween", {"column": "amount", "min_value": 50,
                                                      "max_value": 1_000_000}))
    return SuiteSpec(f"raw_stripe.{table}", tuple(columns), sql, tuple(ex),
                     "rows the last sync landed (received - rejected)")


MART_SUITES: dict[str, SuiteSpec] = {}


def _mart(name: str, columns: tuple[str, ...], expectations: list[tuple[str, dict]]) -> None:
    sql = f"select {', '.join(columns)} from marts.{name}"
    MART_SUITES[name] = SuiteSpec(f"marts.{name}", columns, sql, tuple(expectations))


def _currency(column: str = "currency") -> tuple[str, dict]:
    return ("ExpectColumnValuesToBeInSet", {"column": column, "value_set": list(seed_currencies())})


def build_mart_suites() -> dict[str, SuiteSpec]:
    if MART_SUITES:
        return MART_SUITES
    _mart("fct_balance_transactions",
          ("balance_transaction_id", "currency", "amount", "fee", "net", "reporting_category",
           "reporting_conversion", "amount_reporting"),
          [("ExpectColumnValuesToBeUnique", {"column": "balance_transaction_id"}),
           _currency(),
           ("ExpectColumnValuesToBeInSet", {"column": "reporting_category", "value_set": list(REPORTING_CATEGORIES)}),
           ("ExpectColumnValuesToBeInSet", {"column": "reporting_conversion",
                                            "value_set": ["settlement", "stripe_exchange_rate", "ecb_daily_rate"]}),
           ("ExpectColumnValuesToNotBeNull", {"column": "amount_reporting"}),
           ("ExpectColumnValuesToBeBetween", {"column": "fee", "min_value": 0})])
    _mart("fct_revenue_daily",
          ("revenue_date", "currency", "gross_volume", "refunds", "successful_payments", "failed_payments",
           "gross_volume_reporting"),
          [("ExpectCompoundColumnsToBeUnique", {"column_list": ["revenue_date", "currency"]}),
           _currency(),
           ("ExpectColumnValuesToBeBetween", {"column": "gross_volume", "min_value": 0}),
           ("ExpectColumnValuesToBeBetween", {"column": "refunds", "max_value": 0}),
           ("ExpectColumnValuesToBeBetween", {"column": "successful_payments", "min_value": 0}),
           ("ExpectColumnValuesToBeBetween", {"column": "gross_volume_reporting", "min_value": 0})])
    _mart("fct_mrr",
          ("month", "customer_id", "subscription_id", "currency", "mrr", "mrr_reporting"),
          [("ExpectColumnValuesToNotBeNull", {"column": "month"}),
           ("ExpectColumnValuesToNotBeNull", {"column": "customer_id"}),
           _currency(),
           ("ExpectColumnValuesToBeBetween", {"column": "mrr", "min_value": 0, "max_value": MAX_AMOUNT}),
           ("ExpectColumnValuesToBeBetween", {"column": "mrr_reporting", "min_value": 0})])
    _mart("fct_creator_earnings_monthly",
          ("creator_account_id", "month", "currency", "gross_volume", "commission_tier", "commission",
           "cast(round(commission_rate * 10000) as integer) as commission_bps"),
          [("ExpectCompoundColumnsToBeUnique", {"column_list": ["creator_account_id", "month", "currency"]}),
           _currency(),
           ("ExpectColumnValuesToBeInSet", {"column": "commission_tier",
                                            "value_set": ["standard", "premium", "enterprise"]}),
           ("ExpectColumnValuesToBeInSet", {"column": "commission_bps", "value_set": [500, 300, 200]}),
           ("ExpectColumnValuesToBeBetween", {"column": "commission", "min_value": 0})])
    return MART_SUITES


def _column_names(spec: SuiteSpec) -> list[str]:
    return [c.split(" as ")[-1].strip() for c in spec.columns]


def _plain(value):
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else str(value)
    return value


def run_suite(spec: SuiteSpec, query: Query, *, docs_dir: Path | None = None) -> SuiteOutcome:
    """Validate the suite's frame with GX (ephemeral context, pandas data source); when docs_dir
    is given, write the validation result as JSON there and refresh the HTML index."""
    import great_expectations as gx
    import great_expectations.expectations as gxe
    import pandas as pd

    names = _column_names(spec)
    rows = [tuple(_plain(v) for v in row) for row in query(spec.sql)]
    frame = pd.DataFrame(rows, columns=names)
    context = gx.get_context(mode="ephemeral")
    batch_definition = (context.data_sources.add_pandas("warehouse")
                        .add_dataframe_asset(spec.name.replace(".", "__"))
                        .add_batch_definition_whole_dataframe("whole"))
    suite = gx.ExpectationSuite(name=spec.name)
    for class_name, kwargs in spec.expectations:
        suite.add_expectation(getattr(gxe, class_name)(**kwargs))
    suite = context.suites.add(suite)
    result = batch_definition.get_batch(batch_parameters={"dataframe": frame}).validate(suite)
    failed = []
    for r in result.results:
        if not r.success:
            cfg = r.expectation_config
            failed.append({"expectation": cfg.type, "column": cfg.kwargs.get("column"),
                           "unexpected_count": (r.result or {}).get("unexpected_count"),
                           "observed_value": _jsonable((r.result or {}).get("observed_value")),
                           "examples": _jsonable((r.result or {}).get("partial_unexpected_list", [])[:5])})
    outcome = SuiteOutcome(spec.name, bool(result.success), len(result.results), failed, len(frame))
    if docs_dir is not None:
        write_docs(Path(docs_dir), outcome, result.to_json_dict())
    return outcome


def _jsonable(value):
    try:
        json.dumps(value)
        return value
    except TypeError:
        return str(value)


def write_docs(docs_dir: Path, outcome: SuiteOutcome, result_json: dict) -> Path:
    """One JSON file per suite (GX's own validation result) and an index.html listing them."""
    docs_dir.mkdir(parents=True, exist_ok=True)
    path = docs_dir / f"{outcome.name}.json"
    path.write_text(json.dumps(result_json, indent=1, default=str))
    rows = []
    for p in sorted(docs_dir.glob("*.json")):
        data = json.loads(p.read_text())
        stats = data.get("statistics", {})
        rows.append(f"<tr><td><a href='{p.name}'>{p.stem}</a></td><td>{'passed' if data.get('success') else 'FAILED'}"
                    f"</td><td>{stats.get('successful_expectations')}/{stats.get('evaluated_expectations')}</td></tr>")
    (docs_dir / "index.html").write_text(
        "<!doctype html><meta charset='utf-8'><title>Cashbook data quality</title>"
        "<h1>Great Expectations suites</h1><table><tr><th>suite</th><th>result</th><th>passed</th></tr>"
        + "".join(rows) + "</table>")
    return path
