"""Great Expectations (GX Core 1.x) suites for the raw landing tables and the key marts, built in
code. A suite is plain data (`SuiteSpec`: the relation, the columns of the frame it reads and its
expectations as (GX class name, arguments)), so the rules read like a table.

`run_suite` evaluates them where the data is: each expectation becomes SQL (one scan for the
row-level ones, with one JSON parse per raw payload; row count, uniqueness and the median by the
database) with GX's semantics, and GX itself validates only the rows that violate, at most
EXAMPLES per failed expectation, to list them (importing GX costs seconds, so a passing suite does
not). `run_suite_in_gx`, GX over the whole frame in pandas as the suites ran before, is the
reference the tests hold the SQL to. Raw suites can validate only the rows landed after a
watermark (`since`, on synced_at).

What they guard: ids unique, `created` in a sane range, the `object` field of the right type,
currencies in the `currencies` seed, statuses and reporting categories from Stripe's documented
sets, amounts never negative where Stripe never makes them so, a row count no lower than what the
API delivered, and a median charge amount in a believable band (a distribution check)."""
from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from functools import cache
from pathlib import Path

from pipelines.catalog import OBJECT_TYPES
from pipelines.quality.reader import Query, dialect_of, payload_fields
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
class Col:
    """A column of a suite's frame: a column or SQL expression of the relation (`sql`), or a
    top-level field of the raw payload (`json`), optionally upper-cased or cast."""
    name: str
    sql: str = ""
    json: str = ""
    cast: str = ""
    upper: bool = False


@dataclass(frozen=True)
class SuiteSpec:
    name: str
    relation: str
    columns: tuple[Col, ...]
    expectations: tuple[tuple[str, dict], ...]
    row_count_source: str = ""  # how the minimum row count is found (for the docs)
    watermark: str = ""         # the landing-time column new rows are found by (raw tables)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


@dataclass(frozen=True)
class SuiteOutcome:
    name: str
    success: bool
    evaluated: int
    failed: list[dict] = field(default_factory=list)
    row_count: int = 0                 # rows of the whole table
    validated_rows: int = 0            # rows the row-level expectations read
    mode: str = "full"                 # full, or incremental (rows landed after `since`)
    since: str | None = None           # the watermark the rows were validated from
    through: str | None = None         # the newest landing time validated (the next watermark)

    def metadata(self) -> dict:
        meta = {"suite": self.name, "expectations": self.evaluated, "failed": len(self.failed),
                "row_count": self.row_count, "validated_rows": self.validated_rows, "mode": self.mode}
        if self.since:
            meta["validated_since"] = self.since
        if self.through:
            meta["validated_through"] = self.through
        return meta


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
    columns = [Col("id", "id"), Col("account", "account"), Col("created", "created"),
               Col("is_deleted", "is_deleted"), Col("object", json="object")]
    amount_field = {"invoice": "total", "price": "unit_amount", "credit_note": "total"}.get(table, "amount")
    if table in CURRENCY_TABLES:
        columns.append(Col("currency", json="currency", upper=True))
        columns.append(Col("amount", json=amount_field, cast="bigint"))
    if table in STATUSES:
        columns.append(Col("status", json="status"))
    if table == "balance_transaction":
        columns += [Col("fee", json="fee", cast="bigint"), Col("reporting_category", json="reporting_category")]

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
        # distribution: the median charge lies between 0.50 and 10,000 major units (of the rows
        # validated: the whole table, or the batch landed since the last passing evaluation)
        ex.append(("ExpectColumnMedianToBeBetween", {"column": "amount", "min_value": 50,
                                                      "max_value": 1_000_000}))
    return SuiteSpec(f"raw_stripe.{table}", f"raw_stripe.{table}", tuple(columns), tuple(ex),
                     "rows the last sync landed (received - rejected)", watermark="synced_at")


MART_SUITES: dict[str, SuiteSpec] = {}


def _mart(name: str, columns: tuple[str, ...], expectations: list[tuple[str, dict]]) -> None:
    cols = tuple(Col(c.rsplit(" as ", 1)[-1].strip(), c.rsplit(" as ", 1)[0].strip()) for c in columns)
    MART_SUITES[name] = SuiteSpec(f"marts.{name}", f"marts.{name}", cols, tuple(expectations))


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


ROW_LEVEL = ("ExpectColumnValuesToNotBeNull", "ExpectColumnValuesToBeBetween", "ExpectColumnValuesToBeInSet")
UNIQUE = ("ExpectColumnValuesToBeUnique", "ExpectCompoundColumnsToBeUnique")
EXAMPLES = 20  # violating rows fetched per failed expectation: all GX is given to see


def snake(class_name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", class_name).lower()


def _literal(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, Decimal)):
        return str(value)
    return "'" + str(value).replace("'", "''") + "'"


def _unexpected(class_name: str, kw: dict) -> str:
    """The SQL predicate of a row the expectation rejects (GX's column-map semantics: a NULL is
    unexpected only to ExpectColumnValuesToNotBeNull; the others skip it)."""
    col = kw["column"]
    if class_name == "ExpectColumnValuesToNotBeNull":
        return f"{col} is null"
    if class_name == "ExpectColumnValuesToBeInSet":
        return f"{col} is not null and {col} not in ({', '.join(_literal(v) for v in kw['value_set'])})"
    if class_name == "ExpectColumnValuesToBeBetween":
        parts = []
        if kw.get("min_value") is not None:
            parts.append(f"{col} {'<=' if kw.get('strict_min') else '<'} {_literal(kw['min_value'])}")
        if kw.get("max_value") is not None:
            parts.append(f"{col} {'>=' if kw.get('strict_max') else '>'} {_literal(kw['max_value'])}")
        return f"{col} is not null and ({' or '.join(parts)})"
    raise ValueError(f"no SQL for {class_name}")


def _in_range(value, kw: dict) -> bool:
    lo, hi = kw.get("min_value"), kw.get("max_value")
    return (lo is None or value >= lo) and (hi is None or value <= hi)


def frame_sql(spec: SuiteSpec, dialect: str, where: str = "") -> str:
    """The suite's frame: its columns over the rows `where` keeps. Payload fields come out of one
    JSON parse per row (`payload_fields`)."""
    fields = [c.json for c in spec.columns if c.json]
    if not fields:
        return f"select {', '.join(f'{c.sql} as {c.name}' for c in spec.columns)} from {spec.relation}{where}"
    extract, ref = payload_fields(dialect, fields)
    inner = ", ".join([c.sql for c in spec.columns if c.sql] + [f"{extract} as _j"])
    outer = []
    for c in spec.columns:
        expr = c.sql or ref[c.json]
        if c.upper:
            expr = f"upper({expr})"
        if c.cast:
            expr = f"cast({expr} as {c.cast})"
        outer.append(f"{expr} as {c.name}")
    return f"select {', '.join(outer)} from (select {inner} from {spec.relation}{where}) as _p"


def _timestamp(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value.isoformat()
    return str(value)


def run_suite(spec: SuiteSpec, query: Query, *, docs_dir: Path | None = None,
              since: str | None = None) -> SuiteOutcome:
    """Validate the suite in the warehouse: every expectation is counted in SQL (one scan of the
    rows to validate for the row-level ones; row count, uniqueness and the median by the
    database), and GX validates only the rows that violate an expectation (at most EXAMPLES per
    failed one), which gives the failure its examples; the counts are SQL's over every row.

    `since` (ISO timestamp, raw tables): validate only rows landed after it (`synced_at`), the
    batches since the last passing evaluation; uniqueness of their ids is checked against the
    whole table, the row count is always the whole table's. With no `since`, or one newer than the
    table's newest row (a warehouse rebuilt from an older copy), every row is validated.
    When docs_dir is given, the validation result (GX's shape) is written there as JSON and the
    HTML index refreshed."""
    dialect = dialect_of(query)
    if spec.watermark:
        row_count, newest = query(f"select count(*), max({spec.watermark}) from {spec.relation}")[0]
    else:
        row_count, newest = query(f"select count(*) from {spec.relation}")[0][0], None
    row_count, through = int(row_count), _timestamp(newest)
    mode, conditions = "full", []
    if since and spec.watermark and (newest is None or
                                     datetime.fromisoformat(through) >= datetime.fromisoformat(since)):
        mode = "incremental"
        conditions.append(f"{spec.watermark} > cast('{since}' as timestamptz)")
    if through:
        conditions.append(f"{spec.watermark} <= cast('{through}' as timestamptz)")
    where = (" where " + " and ".join(conditions)) if conditions else ""
    frame = frame_sql(spec, dialect, where)

    # one scan: rows, NULLs per column, unexpected rows per row-level expectation, medians
    aggregates, slots = ["count(*)"], {}
    for name in spec.column_names:
        slots[("missing", name)] = len(aggregates)
        aggregates.append(f"count(*) - count({name})")
    for i, (class_name, kw) in enumerate(spec.expectations):
        if class_name in ROW_LEVEL:
            slots[i] = len(aggregates)
            aggregates.append(f"sum(case when {_unexpected(class_name, kw)} then 1 else 0 end)")
        elif class_name == "ExpectColumnMedianToBeBetween":
            slots[i] = len(aggregates)
            aggregates.append(f"median({kw['column']})" if dialect == "duckdb" else
                              f"percentile_cont(0.5) within group (order by {kw['column']})")
    scanned = query(f"select {', '.join(aggregates)} from ({frame}) as f")[0]
    validated = int(scanned[0])

    results: list[dict] = []
    gx_rows: list[tuple] = []
    for i, (class_name, kw) in enumerate(spec.expectations):
        result: dict = {}
        if class_name in ROW_LEVEL:
            unexpected = int(scanned[slots[i]] or 0)
            missing = int(scanned[slots[("missing", kw["column"])]] or 0)
            base = validated if class_name == "ExpectColumnValuesToNotBeNull" else validated - missing
            result = {"element_count": validated, "missing_count": missing, "unexpected_count": unexpected,
                      "unexpected_percent": round(100 * unexpected / base, 6) if base else 0.0}
            success = unexpected == 0
            if not success:
                gx_rows += query(f"select * from ({frame}) as f where {_unexpected(class_name, kw)} "
                                 f"limit {EXAMPLES}")
        elif class_name in UNIQUE:
            unexpected, examples = _duplicates(spec, query, kw, where if mode == "incremental" else "")
            result = {"element_count": validated, "unexpected_count": unexpected}
            success = unexpected == 0
            gx_rows += examples
        elif class_name == "ExpectTableRowCountToBeBetween":
            result = {"observed_value": row_count}
            success = _in_range(row_count, kw)
        elif class_name == "ExpectColumnMedianToBeBetween":
            median = scanned[slots[i]]
            result = {"observed_value": None if median is None else _plain(Decimal(str(median)))}
            success = median is None or _in_range(Decimal(str(median)), kw)   # no rows: nothing to judge
        else:
            raise ValueError(f"no SQL for {class_name}")
        results.append({"success": success, "expectation_config": {"type": snake(class_name), "kwargs": kw},
                        "result": result})

    engine = "sql"
    if gx_rows:
        engine = "sql + gx on the violating rows"
        _gx_details(spec, list(dict.fromkeys(tuple(_plain(v) for v in r) for r in gx_rows)), results)

    failed = [{"expectation": r["expectation_config"]["type"],
               "column": r["expectation_config"]["kwargs"].get("column"),
               "unexpected_count": r["result"].get("unexpected_count"),
               "observed_value": _jsonable(r["result"].get("observed_value")),
               "examples": _jsonable((r["result"].get("partial_unexpected_list") or [])[:5])}
              for r in results if not r["success"]]
    outcome = SuiteOutcome(spec.name, not failed, len(results), failed, row_count, validated, mode,
                           since if mode == "incremental" else None, through)
    if docs_dir is not None:
        ok = len(results) - len(failed)
        write_docs(Path(docs_dir), outcome, {
            "success": outcome.success, "suite_name": spec.name, "results": results,
            "statistics": {"evaluated_expectations": len(results), "successful_expectations": ok,
                           "unsuccessful_expectations": len(failed),
                           "success_percent": round(100 * ok / len(results), 2) if results else 100.0},
            "meta": {"engine": engine, "row_count": row_count, "validated_rows": validated, "mode": mode,
                     "validated_since": outcome.since, "validated_through": through,
                     "row_count_source": spec.row_count_source}})
    return outcome


def _duplicates(spec: SuiteSpec, query: Query, kw: dict, batch_where: str) -> tuple[int, list[tuple]]:
    """Rows whose key another row shares (GX counts every one of them; a NULL key is skipped by
    ExpectColumnValuesToBeUnique, kept by the compound one), and the rows of at most EXAMPLES such
    keys. In an incremental run, the keys of the new rows are looked up in the whole table."""
    names = kw.get("column_list") or [kw["column"]]
    by_name = {c.name: c for c in spec.columns}
    keys = [by_name[n].sql for n in names]
    if not all(keys):
        raise ValueError(f"{spec.name}: uniqueness needs columns of the relation, not payload fields")
    key = ", ".join(keys)
    where = [f"{k} is not null" for k in keys] if "column" in kw else []
    if batch_where:
        where.append(f"{keys[0]} in (select {keys[0]} from {spec.relation}{batch_where})")
    dupes = (f"select {key}, count(*) as n from {spec.relation}"
             + (" where " + " and ".join(where) if where else "") + f" group by {key} having count(*) > 1")
    unexpected = int(query(f"select coalesce(sum(n), 0) from ({dupes}) as d")[0][0] or 0)
    if not unexpected:
        return 0, []
    match = keys[0] if len(keys) == 1 else f"({key})"
    sample = f"select {key} from ({dupes}) as d limit {EXAMPLES}"
    return unexpected, query(frame_sql(spec, dialect_of(query), f" where {match} in ({sample})"))


def _gx_details(spec: SuiteSpec, rows: list[tuple], results: list[dict]) -> None:
    """GX validates the rows that violate (a bounded frame) with the row-level expectations that
    failed in SQL; its result (the unexpected values it lists) replaces SQL's bare one, with the
    counts kept from SQL, which saw every row."""
    import great_expectations.expectations as gxe
    import pandas as pd

    failing = [(i, cls, kw) for i, (cls, kw) in enumerate(spec.expectations)
               if not results[i]["success"] and (cls in ROW_LEVEL or cls in UNIQUE)]
    frame = pd.DataFrame(rows, columns=spec.column_names)
    context = _gx_context()
    batch = (context.data_sources.add_pandas("violations").add_dataframe_asset(spec.name.replace(".", "__"))
             .add_batch_definition_whole_dataframe("violating_rows")
             .get_batch(batch_parameters={"dataframe": frame}))
    for i, cls, kw in failing:
        gx_result = batch.validate(getattr(gxe, cls)(**kw)).to_json_dict()
        detail = dict(gx_result.get("result") or {})
        sql = results[i]["result"]
        for k in ("partial_unexpected_index_list", "unexpected_percent_total", "unexpected_percent_nonmissing",
                  "missing_percent"):
            detail.pop(k, None)                  # positions and shares within the bounded frame
        detail.update({k: sql[k] for k in ("element_count", "missing_count", "unexpected_count",
                                             "unexpected_percent") if k in sql})
        detail["gx_frame_rows"] = len(frame)
        results[i]["result"] = detail


def _gx_context():
    """An ephemeral GX context without progress bars (they went to the check's log)."""
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    return context


def run_suite_in_gx(spec: SuiteSpec, query: Query) -> SuiteOutcome:
    """The reference: GX validates the whole frame in pandas (what run_suite did before it counted
    in SQL). Tests compare the two on hostile data; it reads every row into memory, so the checks
    do not use it."""
    import great_expectations as gx
    import great_expectations.expectations as gxe
    import pandas as pd

    rows = [tuple(_plain(v) for v in row) for row in query(frame_sql(spec, dialect_of(query)))]
    frame = pd.DataFrame(rows, columns=spec.column_names)
    context = _gx_context()
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
    return SuiteOutcome(spec.name, bool(result.success), len(result.results), failed, len(frame), len(frame))


def _plain(value):
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else str(value)
    return value


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
