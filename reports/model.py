"""The input of every report: one frozen dataclass per mart row, one container per report.

Each row class maps 1:1 to a row of a mart (the docstring names it); field names are the mart's
column names, so an asset can build rows with `rows_from(RevenueMonth, frame.to_dicts())`.
Money is integer minor units of the currency named beside it (never float); ratios are exact
`Decimal` (a float from a data frame is accepted for a ratio and read through its decimal text).

A section the caller cannot supply yet (forecast before it lands, ...) is a `NotAvailable` with
the reason, so the report says so instead of showing an invented figure.
"""
from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, TypeVar


class ReportInputError(ValueError):
    """Bad input to a report: the message names the object and the field."""


@dataclass(frozen=True)
class NotAvailable:
    """A section without data: the report shows 'not available: <reason>'."""

    reason: str


def _minor(obj: str, name: str, value: Any, *, optional: bool = False) -> int | None:
    if value is None and optional:
        return None
    if isinstance(value, bool) or isinstance(value, float) or value is None:
        raise ReportInputError(f"{obj}.{name}: money must be integer minor units, got {type(value).__name__}")
    if isinstance(value, Decimal):
        if value != value.to_integral_value():
            raise ReportInputError(f"{obj}.{name}: money must be integer minor units, got {value}")
        return int(value)
    if not isinstance(value, int):
        raise ReportInputError(f"{obj}.{name}: money must be integer minor units, got {type(value).__name__}")
    return value


def _ratio(obj: str, name: str, value: Any) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, bool):
        raise ReportInputError(f"{obj}.{name}: a ratio, got a bool")
    if isinstance(value, float):
        if value != value:  # NaN from a frame means 'no ratio'
            return None
        return Decimal(repr(value))
    if isinstance(value, (int, Decimal, str)):
        return Decimal(value)
    raise ReportInputError(f"{obj}.{name}: a ratio, got {type(value).__name__}")


def _count(obj: str, name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)) or int(value) != value:
        raise ReportInputError(f"{obj}.{name}: a whole count, got {value!r}")
    return int(value)


def _currency(obj: str, name: str, value: Any) -> str:
    if not isinstance(value, str) or len(value) != 3 or not value.isalpha():
        raise ReportInputError(f"{obj}.{name}: a three-letter currency code, got {value!r}")
    return value.upper()


def _month(obj: str, name: str, value: Any) -> date:
    if isinstance(value, datetime):
        value = value.date()
    if not isinstance(value, date):
        raise ReportInputError(f"{obj}.{name}: a date, got {value!r}")
    return value


# Field kinds, read by __post_init__ through each field's metadata.
def money_field(**kw):
    return field(metadata={"kind": "money"}, **kw)


def opt_money_field(**kw):
    return field(default=None, metadata={"kind": "opt_money"}, **kw)


def ratio_field(**kw):
    return field(default=None, metadata={"kind": "ratio"}, **kw)


def count_field(**kw):
    return field(metadata={"kind": "count"}, **kw)


def currency_field(**kw):
    return field(metadata={"kind": "currency"}, **kw)


def month_field(**kw):
    return field(metadata={"kind": "month"}, **kw)


_CHECKS = {
    "money": lambda o, n, v: _minor(o, n, v),
    "opt_money": lambda o, n, v: _minor(o, n, v, optional=True),
    "ratio": _ratio,
    "count": _count,
    "currency": _currency,
    "month": _month,
}


class _Checked:
    """Validates and normalises each field by its kind, naming the row class and field on error."""

    def __post_init__(self) -> None:
        for f in dataclasses.fields(self):
            kind = f.metadata.get("kind")
            if kind:
                value = _CHECKS[kind](type(self).__name__, f.name, getattr(self, f.name))
                object.__setattr__(self, f.name, value)


T = TypeVar("T")


def rows_from(cls: type[T], rows: Iterable[Mapping[str, Any]]) -> list[T]:
    """Build rows of `cls` from mappings (e.g. `polars.DataFrame.to_dicts()` or DB-API dict rows);
    extra columns are ignored, a missing one is an error naming the class and column."""
    names = [f.name for f in dataclasses.fields(cls) if f.init]
    required = {f.name for f in dataclasses.fields(cls)
                if f.init and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING}
    out = []
    for i, row in enumerate(rows):
        missing = required - set(row)
        if missing:
            raise ReportInputError(f"{cls.__name__} row {i}: missing column(s) {', '.join(sorted(missing))}")
        out.append(cls(**{n: row[n] for n in names if n in row}))
    return out


# ---------------------------------------------------------------- rows of the marts

@dataclass(frozen=True)
class RevenueMonth(_Checked):
    """A row of `marts.fct_revenue_monthly`: one month and settlement currency. Signs as the mart:
    refunds, dispute_losses, transfers_to_creators and payouts negative; stripe_fees positive."""

    revenue_month: date = month_field()
    currency: str = currency_field()
    gross_volume: int = money_field()
    refunds: int = money_field()
    dispute_losses: int = money_field()
    dispute_reversals: int = money_field()
    application_fees: int = money_field()
    transfers_to_creators: int = money_field()
    other_activity: int = money_field()
    stripe_fees: int = money_field()
    platform_net_revenue: int = money_field()
    payouts: int = money_field()
    successful_payments: int = count_field()
    failed_payments: int = count_field()
    reporting_currency: str = currency_field()
    gross_volume_reporting: int = money_field()
    refunds_reporting: int = money_field()
    dispute_losses_reporting: int = money_field()
    dispute_reversals_reporting: int = money_field()
    application_fees_reporting: int = money_field()
    transfers_to_creators_reporting: int = money_field()
    other_activity_reporting: int = money_field()
    stripe_fees_reporting: int = money_field()
    platform_net_revenue_reporting: int = money_field()


@dataclass(frozen=True)
class SubscriptionMonth(_Checked):
    """A row of `marts.subscription_metrics_monthly` (money in the reporting currency; churn and
    contraction positive amounts; ratios exact, None where the denominator is 0)."""

    month: date = month_field()
    reporting_currency: str = currency_field()
    mrr_reporting: int = money_field()
    paying_customers: int = count_field()
    customers_at_start: int = count_field()
    start_mrr_reporting: int = money_field()
    new_mrr_reporting: int = money_field()
    expansion_mrr_reporting: int = money_field()
    contraction_mrr_reporting: int = money_field()
    churn_mrr_reporting: int = money_field()
    reactivation_mrr_reporting: int = money_field()
    fx_mrr_reporting: int = money_field()
    new_customers: int = count_field()
    churned_customers: int = count_field()
    reactivated_customers: int = count_field()
    customer_churn_rate: Decimal | None = ratio_field()
    gross_mrr_churn_rate: Decimal | None = ratio_field()
    net_mrr_churn_rate: Decimal | None = ratio_field()
    net_revenue_retention: Decimal | None = ratio_field()
    quick_ratio: Decimal | None = ratio_field()
    arpa_reporting: int | None = opt_money_field()
    ltv_reporting: int | None = opt_money_field()


@dataclass(frozen=True)
class CohortCell(_Checked):
    """A row of `marts.cohort_retention`: one cohort (first paid month) and one month since."""

    cohort_month: date = month_field()
    month: date = month_field()
    months_since_first_paid: int = count_field()
    reporting_currency: str = currency_field()
    cohort_customers: int = count_field()
    retained_customers: int = count_field()
    cohort_new_mrr_reporting: int = money_field()
    mrr_reporting: int = money_field()
    logo_retention: Decimal | None = ratio_field()
    revenue_retention: Decimal | None = ratio_field()


@dataclass(frozen=True)
class TopCreator(_Checked):
    """One creator's month (or year), from `marts.fct_creator_earnings_monthly` joined to
    `marts.dim_creators`: the `_reporting` columns summed over every settlement currency (the
    ranking), and `gross_volume_native` the gross in each currency it settled in, as
    ((currency, minor units), ...). The caller picks and orders the top N."""

    creator_account_id: str
    creator_name: str
    tier: str
    reporting_currency: str = currency_field()
    gross_volume_reporting: int = money_field()
    commission_reporting: int = money_field()
    net_earnings_reporting: int = money_field()
    active_subscribers: int = count_field(default=0)
    gross_volume_native: tuple[tuple[str, int], ...] = ()

    def __post_init__(self) -> None:
        super().__post_init__()
        native = tuple((_currency("TopCreator", "gross_volume_native", c),
                        _minor("TopCreator", "gross_volume_native", v)) for c, v in self.gross_volume_native)
        object.__setattr__(self, "gross_volume_native", native)


@dataclass(frozen=True)
class PayoutSummary(_Checked):
    """Payouts of the period by account kind, currency and status (distinct payouts of
    `marts.fct_payout_reconciliation_itemized`): `amount` positive, minor units of `currency`.
    `status` is Stripe's: paid, pending, in_transit, failed, canceled."""

    balance_account: str  # 'platform' or 'creators'
    currency: str = currency_field()
    status: str = ""
    payout_count: int = count_field(default=0)
    amount: int = money_field(default=0)


@dataclass(frozen=True)
class RiskRate(_Checked):
    """A fraud or dispute rate of the month against its line (`finance.platform_fraud_rate`,
    the card programmes of `pipelines.fraud.monitoring`): counts, the exact rate and threshold."""

    measure: str  # e.g. 'Platform fraud rate', 'Visa VAMP', 'Mastercard ECM'
    numerator: int = count_field()
    denominator: int = count_field()
    rate: Decimal | None = ratio_field()
    threshold: Decimal | None = ratio_field()
    status: str = ""  # ok | near | over (as the fraud module says)
    min_count: int = count_field(default=0)


@dataclass(frozen=True)
class ForecastPoint(_Checked):
    """A row of `finance.revenue_forecast` (minor units of the series' currency)."""

    month: date = month_field()
    point: int = money_field()
    lower_80: int = money_field()
    upper_80: int = money_field()
    lower_95: int = money_field()
    upper_95: int = money_field()


@dataclass(frozen=True)
class ForecastAccuracy(_Checked):
    """A row of `finance.forecast_backtest` for the chosen model: measured accuracy by horizon."""

    horizon: int = count_field()
    mase: Decimal | None = ratio_field()
    mape: Decimal | None = ratio_field()  # percent, as the backtest stores it
    coverage_80: Decimal | None = ratio_field()
    coverage_95: Decimal | None = ratio_field()
    n_origins: int = count_field(default=0)


@dataclass(frozen=True)
class ForecastData(_Checked):
    """One forecast series: history, the 12 months ahead with 80%/95% intervals, and accuracy."""

    series: str
    model: str
    currency: str = currency_field()
    history_months: tuple[date, ...] = ()
    history_values: tuple[int, ...] = ()
    points: tuple[ForecastPoint, ...] = ()
    accuracy: tuple[ForecastAccuracy, ...] = ()

    def __post_init__(self) -> None:
        super().__post_init__()
        if len(self.history_months) != len(self.history_values):
            raise ReportInputError("ForecastData.history_values: one value per history month")
        for i, v in enumerate(self.history_values):
            _minor("ForecastData", f"history_values[{i}]", v)


@dataclass(frozen=True)
class QualityCheck:
    """One check result of the period (dbt test, Great Expectations suite or asset check)."""

    check: str
    target: str
    passed: bool
    blocking: bool = False
    detail: str = ""


# ---------------------------------------------------------------- the reports


def _na(reason: str):
    return field(default_factory=lambda: NotAvailable(reason))


@dataclass
class MonthlyReportData:
    """Everything the monthly report shows. `revenue` and `subscriptions` may carry earlier months
    too (for the trend charts); the tables show `month`. Each other section is a list of rows for
    the month, or NotAvailable(reason)."""

    month: date
    reporting_currency: str
    generated_at: datetime
    revenue: list[RevenueMonth] | NotAvailable = _na("revenue mart not supplied")
    subscriptions: list[SubscriptionMonth] | NotAvailable = _na("subscription metrics not supplied")
    cohorts: list[CohortCell] | NotAvailable = _na("cohort retention not supplied")
    top_creators: list[TopCreator] | NotAvailable = _na("creator earnings not supplied")
    payouts: list[PayoutSummary] | NotAvailable = _na("payouts not supplied")
    risk: list[RiskRate] | NotAvailable = _na("fraud and dispute monitoring not supplied")
    forecast: ForecastData | NotAvailable = _na("forecast not supplied")
    data_quality: list[QualityCheck] | NotAvailable = _na("data-quality results not supplied")
    source: str = ""  # e.g. 'duckdb warehouse, dbt run at ...' (no secrets)

    def __post_init__(self) -> None:
        self.month = _month("MonthlyReportData", "month", self.month).replace(day=1)
        self.reporting_currency = _currency("MonthlyReportData", "reporting_currency", self.reporting_currency)


@dataclass
class AnnualReportData:
    """The annual report: the same sections by month for `year`, plus year totals. Revenue and
    subscription rows are the year's months; `risk_by_month` maps each month to its risk rows;
    `top_creators` are the year's totals per creator."""

    year: int
    reporting_currency: str
    generated_at: datetime
    revenue: list[RevenueMonth] | NotAvailable = _na("revenue mart not supplied")
    subscriptions: list[SubscriptionMonth] | NotAvailable = _na("subscription metrics not supplied")
    cohorts: list[CohortCell] | NotAvailable = _na("cohort retention not supplied")
    top_creators: list[TopCreator] | NotAvailable = _na("creator earnings not supplied")
    payouts: list[PayoutSummary] | NotAvailable = _na("payouts not supplied")
    risk_by_month: dict[date, list[RiskRate]] | NotAvailable = _na("fraud and dispute monitoring not supplied")
    forecast: ForecastData | NotAvailable = _na("forecast not supplied")
    data_quality: list[QualityCheck] | NotAvailable = _na("data-quality results not supplied")
    source: str = ""

    def __post_init__(self) -> None:
        if not isinstance(self.year, int) or not 2000 <= self.year <= 2100:
            raise ReportInputError(f"AnnualReportData.year: a year, got {self.year!r}")
        self.reporting_currency = _currency("AnnualReportData", "reporting_currency", self.reporting_currency)


@dataclass(frozen=True)
class StatementLine(_Checked):
    """An optional itemised line of a creator statement (a payout, a bonus, an adjustment)."""

    day: date = month_field()
    amount: int = money_field()
    description: str = ""


@dataclass(frozen=True)
class CreatorStatementData(_Checked):
    """A creator's month, from `marts.fct_creator_statements_monthly` (and `dim_creators`), all in
    the currency of the creator's own Stripe balance. Deductions are positive amounts
    (refunds=1200 means 12.00 taken back); `previous_balance` and `adjustments` are signed (what
    the month credited or debited besides the named items). Net and the carried balance are
    worked out by `statements.statement_totals`, not supplied; the mart's closing balance, when
    given, is what the carried balance must equal (the account's balance at the month's end)."""

    creator_account_id: str
    creator_name: str
    tier: str
    month: date = month_field()
    currency: str = currency_field()
    commission_rate: Decimal | None = ratio_field()
    previous_balance: int = money_field(default=0)
    gross: int = money_field(default=0)
    refunds: int = money_field(default=0)
    disputes: int = money_field(default=0)
    fees: int = money_field(default=0)
    commission: int = money_field(default=0)
    bonuses: int = money_field(default=0)
    payouts: int = money_field(default=0)
    active_subscribers: int = count_field(default=0)
    generated_at: datetime | None = None
    lines: tuple[StatementLine, ...] = ()
    adjustments: int = money_field(default=0)
    closing_balance: int | None = opt_money_field()

    def __post_init__(self) -> None:
        super().__post_init__()
        for name in ("gross", "refunds", "disputes", "fees", "commission", "bonuses", "payouts"):
            if getattr(self, name) < 0:
                raise ReportInputError(
                    f"CreatorStatementData.{name}: a positive amount (deductions are given as magnitudes), "
                    f"got {getattr(self, name)} for {self.creator_account_id}")


def payout_summaries(payouts: Iterable[Mapping[str, Any]]) -> list[PayoutSummary]:
    """Group single payouts (rows with balance_account or creator_account_id, currency, status,
    amount; e.g. distinct payouts of `fct_payout_reconciliation_itemized` with `payout_amount`
    renamed, or `fct_creator_payouts`) into PayoutSummary rows: the platform's own, and all
    creators together, per currency and status. Amounts add only within one currency."""
    groups: dict[tuple[str, str, str], list[int]] = {}
    for i, p in enumerate(payouts):
        account = p.get("balance_account") or p.get("creator_account_id") or "platform"
        kind = "platform" if account == "platform" else "creators"
        cur = _currency("payout", f"currency (row {i})", p.get("currency"))
        amount = _minor("payout", f"amount (row {i})", p.get("amount"))
        acc = groups.setdefault((kind, cur, str(p.get("status") or "unknown")), [0, 0])
        acc[0] += 1
        acc[1] += amount
    return [PayoutSummary(kind, cur, status, n, total)
            for (kind, cur, status), (n, total) in sorted(groups.items())]
