"""The EU One-Stop-Shop VAT return for a quarter, in EUR, every row traceable to its invoices.

Schemes (VAT Directive Title XII chapter 6):
- "non-union" (arts. 358a-369): a platform not established in the EU declares every B2C
  electronically supplied service to every member state, including the one it registered in.
- "union" (arts. 369a-369k): a platform established in one member state declares supplies to
  the other member states. Under art. 59c a supplier established in one member state only whose
  cross-border B2C supplies stay within EUR 10,000 in the current and the previous year taxes
  them at home instead, until the supply that exceeds the threshold (from which point, that supply
  included, the consumer's member state taxes them), unless it opted in (art. 59c(3)).

Amounts: per member state of consumption and rate, the taxable amount is converted to EUR at the
ECB rate of the quarter's last day (arts. 366(1), 369h(2)) and VAT is that amount times the rate;
both are rounded half-up once, at the end. Corrections of earlier quarters (refunds, credit notes)
go into the correction section per member state and original period (art. 369k(2), Implementing
Regulation 282/2011 art. 61), converted at the rate of the original period. The return is due by
the end of the month after the quarter (arts. 364, 369f).
"""
from __future__ import annotations

import calendar
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from pipelines.money import to_minor

from .ecb import EcbRates, to_eur_decimal
from .vat_rates import EU_MEMBER_STATES, oss_country, standard_rate

EUR_THRESHOLD_CENTS = 1_000_000  # EUR 10,000 (art. 59c(1)(c))
HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Quarter:
    year: int
    quarter: int

    def __post_init__(self):
        if self.quarter not in (1, 2, 3, 4):
            raise ValueError(f"quarter must be 1-4, got {self.quarter}")

    @property
    def first_day(self) -> date:
        return date(self.year, 3 * self.quarter - 2, 1)

    @property
    def last_day(self) -> date:
        month = 3 * self.quarter
        return date(self.year, month, calendar.monthrange(self.year, month)[1])

    @property
    def due_date(self) -> date:
        """Last day of the month after the quarter."""
        year, month = (self.year + 1, 1) if self.quarter == 4 else (self.year, 3 * self.quarter + 1)
        return date(year, month, calendar.monthrange(year, month)[1])

    @property
    def label(self) -> str:
        return f"{self.year}-Q{self.quarter}"

    @classmethod
    def of(cls, day: date) -> "Quarter":
        return cls(day.year, (day.month - 1) // 3 + 1)

    def contains(self, day: date) -> bool:
        return self.first_day <= day <= self.last_day


def _day(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


@dataclass(frozen=True)
class Supply:
    """A B2C sale (invoice) or its reduction (credit note / refund: negative net_minor).

    `supply_date` is when the original supply took place; for a credit note that is the date
    of the invoice it corrects, which also says which quarter it corrects.
    """
    source_id: str
    country: str  # member state of consumption (ISO or EL)
    supply_date: date | datetime | str
    net_minor: int  # taxable amount, excluding VAT, in `currency` minor units
    currency: str


@dataclass
class OssRow:
    member_state: str
    rate: Decimal  # percent
    rate_type: str
    taxable_eur_cents: int
    vat_eur_cents: int
    sources: list[str] = field(default_factory=list)


@dataclass
class OssCorrection:
    member_state: str
    period: str  # the corrected quarter, e.g. "2025-Q1"
    vat_eur_cents: int  # change of VAT (negative for refunds)
    sources: list[str] = field(default_factory=list)


@dataclass
class OssReturn:
    scheme: str
    identification_state: str | None
    vat_number: str
    period: Quarter
    rows: list[OssRow]
    corrections: list[OssCorrection]
    excluded: list[tuple[str, str]]  # (source_id, why it is not in this return)
    fx: dict[str, tuple[Decimal, date]]  # currency -> (ECB rate, publication date used)

    @property
    def nil(self) -> bool:
        return not self.rows and not self.corrections

    @property
    def due_date(self) -> date:
        return self.period.due_date

    def vat_by_member_state(self) -> dict[str, int]:
        """Total VAT due per member state of consumption, corrections included."""
        totals: dict[str, int] = defaultdict(int)
        for row in self.rows:
            totals[row.member_state] += row.vat_eur_cents
        for corr in self.corrections:
            totals[corr.member_state] += corr.vat_eur_cents
        return dict(sorted(totals.items()))

    @property
    def total_vat_eur_cents(self) -> int:
        return sum(self.vat_by_member_state().values())


def _eur(rates: EcbRates, fx: dict, amount_minor: int, currency: str, period_end: date) -> Decimal:
    rate, published = rates.rate_for_period_end(currency, period_end)
    fx.setdefault(currency.upper(), (rate, published))
    return to_eur_decimal(amount_minor, currency, rate)


def cross_border_eur_cents(supplies_by_quarter: dict[Quarter, list[Supply]], home: str, rates: EcbRates) -> int:
    """The art. 59c(1)(c) measure for the Union scheme: the value of B2C supplies of electronic
    services to consumers in member states other than `home`, in euro cents, each quarter at the
    ECB rate of its last day (as its OSS return converts), credit notes netted, never below zero."""
    home = oss_country(home)
    total = Decimal(0)
    for quarter, supplies in supplies_by_quarter.items():
        for s in supplies:
            ms = oss_country(s.country)
            if ms in EU_MEMBER_STATES and ms != home:
                total += _eur(rates, {}, s.net_minor, s.currency, quarter.last_day)
    return max(0, to_minor(total, "EUR"))


def build_return(
    supplies: list[Supply],
    period: Quarter,
    rates: EcbRates,
    *,
    scheme: str = "non-union",
    identification_state: str | None = None,
    vat_number: str = "",
    previous_year_cross_border_eur_cents: int = 0,
    current_year_before_period_eur_cents: int = 0,
    opted_in: bool = False,
) -> OssReturn:
    """The OSS return for `period` from its B2C supplies (reverse-charged B2B sales removed first).

    Supplies dated inside the period are declared; credit notes for earlier periods become
    corrections; anything dated after the period is refused (it belongs to a later return).
    """
    if scheme not in ("non-union", "union"):
        raise ValueError(f"scheme must be 'non-union' or 'union', got {scheme!r}")
    home = oss_country(identification_state) if identification_state else None
    if scheme == "union" and home not in EU_MEMBER_STATES:
        raise ValueError("the Union scheme needs identification_state, an EU member state")
    excluded: list[tuple[str, str]] = []
    fx: dict[str, tuple[Decimal, date]] = {}
    current, earlier = [], []
    for s in sorted(supplies, key=lambda s: (_day(s.supply_date), s.source_id)):
        if isinstance(s.net_minor, float) or not isinstance(s.net_minor, int):
            raise TypeError(f"supply {s.source_id}: net_minor must be integer minor units")
        day, ms = _day(s.supply_date), oss_country(s.country)
        if ms not in EU_MEMBER_STATES:
            excluded.append((s.source_id, f"{ms} is not an EU member state"))
        elif scheme == "union" and ms == home:
            excluded.append((s.source_id, f"domestic supply: declare in {home}'s national VAT return"))
        elif day > period.last_day:
            raise ValueError(f"supply {s.source_id}: dated {day.isoformat()}, after {period.label}")
        elif period.contains(day):
            current.append((s, day, ms))
        else:
            earlier.append((s, day, ms))

    if scheme == "union" and not opted_in and previous_year_cross_border_eur_cents <= EUR_THRESHOLD_CENTS:
        running = Decimal(current_year_before_period_eur_cents) / HUNDRED
        kept = []
        exceeded = running > EUR_THRESHOLD_CENTS / 100
        for s, day, ms in current:
            if not exceeded and s.net_minor > 0:
                running += _eur(rates, {}, s.net_minor, s.currency, period.last_day)
                exceeded = running > Decimal(EUR_THRESHOLD_CENTS) / HUNDRED
            if exceeded:
                kept.append((s, day, ms))
            else:
                excluded.append((s.source_id, f"within the EUR 10,000 threshold: taxed in {home} (art. 59c)"))
        current = kept

    groups: dict[tuple[str, Decimal], list] = defaultdict(list)
    for s, day, ms in current:
        groups[(ms, standard_rate(ms, day).rate)].append(s)
    rows = []
    for (ms, rate), items in sorted(groups.items()):
        taxable = sum((_eur(rates, fx, s.net_minor, s.currency, period.last_day) for s in items), Decimal(0))
        rows.append(OssRow(ms, rate, "STANDARD", to_minor(taxable, "EUR"), to_minor(taxable * rate / HUNDRED, "EUR"),
                           [s.source_id for s in items]))

    corr_groups: dict[tuple[str, str], list] = defaultdict(list)
    for s, day, ms in earlier:
        corr_groups[(ms, Quarter.of(day).label)].append((s, day))
    corrections = []
    for (ms, label), items in sorted(corr_groups.items()):
        vat = Decimal(0)
        for s, day in items:
            original_end = Quarter.of(day).last_day
            vat += _eur(rates, {}, s.net_minor, s.currency, original_end) * standard_rate(ms, day).rate / HUNDRED
        corrections.append(OssCorrection(ms, label, to_minor(vat, "EUR"), [s.source_id for s, _ in items]))

    return OssReturn(scheme, home, vat_number, period, rows, corrections, excluded, fx)


def supplies_from_rows(rows) -> list[Supply]:
    """Dict rows (e.g. `polars_frame.iter_rows(named=True)`): source_id, country, supply_date,
    net_minor, currency."""
    out = []
    for r in rows:
        net = r.get("net_minor")
        if isinstance(net, bool) or not isinstance(net, int):
            raise ValueError(f"supply {r.get('source_id', '?')}: field net_minor must be integer minor units")
        if not r.get("currency"):
            raise ValueError(f"supply {r.get('source_id', '?')}: field currency is missing")
        out.append(Supply(str(r["source_id"]), str(r["country"]), r["supply_date"], net, str(r["currency"]).upper()))
    return out
