"""Pure steps between the tax marts and `tax_forms`: which VAT return a supply row goes to, the
conversions the UK return and the monitoring reports need, and the sum-back comparisons the
asset checks make. Plain rows in, plain rows out: the tests call these without Dagster.
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from pipelines.money import to_major, to_minor
from tax_forms.ecb import EcbRates, to_eur_decimal
from tax_forms.location import decide
from tax_forms.oss import Quarter, Supply
from tax_forms.reverse_charge import split_b2b
from tax_forms.vat_rates import EU_MEMBER_STATES, oss_country, standard_rate

MONEY_BOXES_1099K = ("1a", "1b", "5a", "5b", "5c", "5d", "5e", "5f", "5g", "5h", "5i", "5j", "5k", "5l")


def quarter_of_partition(partition_key: str) -> Quarter:
    """Quarterly partitions are keyed by the quarter's first day (2026-07-01 -> 2026-Q3)."""
    first = date.fromisoformat(partition_key[:10])
    if first.day != 1 or first.month not in (1, 4, 7, 10):
        raise ValueError(f"partition {partition_key!r} is not the first day of a quarter")
    return Quarter.of(first)


@dataclass
class VatSplit:
    """The quarter's supply rows sorted by where they go."""
    by_country: dict[str, list[dict]] = field(default_factory=dict)  # decided country -> consumer rows
    conflicts: list[dict] = field(default_factory=list)  # no two pieces of evidence agree
    reverse_charged: list = field(default_factory=list)  # VatNumberCheck, B2B out of the return
    rejected_numbers: list = field(default_factory=list)  # numbers that failed: charged as B2C


def split_supplies(rows: list[dict]) -> VatSplit:
    """Decide each row's country from billing / IP / card (two that agree), then take the
    reverse-charged B2B sales out. A credit note or refund follows the evidence of its invoice
    (the mart carries the invoice's evidence on it)."""
    out = VatSplit()
    decided_rows = []
    for row in rows:
        decision = decide(row["source_id"], row.get("billing_country"), row.get("ip_country"), row.get("card_country"))
        if decision.conflict:
            out.conflicts.append({"source_id": row["source_id"], "detail": decision.note,
                                  "billing": decision.evidence["billing"], "ip": decision.evidence["ip"],
                                  "card": decision.evidence["card"]})
            continue
        decided_rows.append({**row, "country": decision.country})
    consumers, reverse, rejected = split_b2b(decided_rows)
    out.reverse_charged, out.rejected_numbers = reverse, rejected
    for row in consumers:
        out.by_country.setdefault(row["country"], []).append(row)
    return out


def oss_supplies(split: VatSplit) -> list[Supply]:
    """EU member-state consumer rows as OSS supplies (Greece as EL)."""
    supplies = []
    for country, rows in sorted(split.by_country.items()):
        if oss_country(country) not in EU_MEMBER_STATES:
            continue
        for row in rows:
            supplies.append(Supply(row["source_id"], oss_country(country), row["supply_date"],
                                   int(row["taxable_amount"]), str(row["currency"]).upper()))
    return supplies


def rate_on_or_before(rates: EcbRates, currency: str, day: date, max_days: int = 10) -> Decimal:
    """The ECB rate of `day`, else of the last publication before it (weekends, holidays)."""
    if currency.upper() == "EUR":
        return Decimal(1)
    for back in range(max_days + 1):
        rates_of_day = rates.by_day.get(day - timedelta(days=back), {})
        if currency.upper() in rates_of_day:
            return rates_of_day[currency.upper()]
    raise LookupError(f"no ECB rate for {currency.upper()} on or before {day.isoformat()}")


def convert_cross(amount_minor: int, currency: str, to_currency: str, rates: EcbRates, day: date) -> int:
    """Minor units of one currency into another through the ECB's per-EUR rates of `day`,
    half-up once."""
    if currency.upper() == to_currency.upper():
        return int(amount_minor)
    eur = to_eur_decimal(int(amount_minor), currency, rate_on_or_before(rates, currency, day))
    return to_minor(eur * rate_on_or_before(rates, to_currency, day), to_currency)


def uk_sales(rows: list[dict], rates: EcbRates) -> list[tuple[str, int, int]]:
    """(source_id, net pence, VAT pence) of UK consumer rows, converted at the ECB cross rate of
    the day the row is reported (HMRC accepts the ECB rate, VAT Notice 700 sec. 7.6)."""
    out = []
    for row in rows:
        day = row["reported_on"]
        out.append((row["source_id"],
                    convert_cross(int(row["taxable_amount"]), row["currency"], "GBP", rates, day),
                    convert_cross(int(row["vat_amount"]), row["currency"], "GBP", rates, day)))
    return out


def oss_row_mismatches(rows: list[dict], sources: dict[tuple, list[dict]], rates: EcbRates,
                       quarter: Quarter) -> list[str]:
    """Each declared OSS row summed back from its supplies: taxable and VAT in EUR cents."""
    problems = []
    for row in rows:
        key = (row["section"], row["member_state"], row.get("corrected_period") or "", str(row.get("vat_rate") or ""))
        items = sources.get(key, [])
        if row["section"] == "supply":
            taxable = sum((to_eur_decimal(int(s["taxable_amount"]), s["currency"],
                                          rates.rate_for_period_end(s["currency"], quarter.last_day)[0])
                           for s in items), Decimal(0))
            rate = Decimal(str(row["vat_rate"]))
            want = (to_minor(taxable, "EUR"), to_minor(taxable * rate / 100, "EUR"))
            got = (int(row["taxable_minor"]), int(row["vat_minor"]))
        else:
            vat = Decimal(0)
            for s in items:
                supply_day = s["supply_date"]
                original = Quarter.of(supply_day)
                eur = to_eur_decimal(int(s["taxable_amount"]), s["currency"],
                                     rates.rate_for_period_end(s["currency"], original.last_day)[0])
                vat += eur * standard_rate(row["member_state"], supply_day).rate / 100
            want, got = (to_minor(vat, "EUR"),), (int(row["vat_minor"]),)
        if want != got or not items:
            problems.append(f"{row['section']} {row['member_state']} {row.get('corrected_period') or ''}: "
                            f"declared {got}, sources give {want}")
    return problems


def nexus_state_sales(rows: list[dict], on: date) -> dict[str, dict]:
    """US sales (USD cents, counts) per state for the current and the previous calendar year and
    the trailing 12 months before `on` (rows: state, reported_on, usd_cents, source_id)."""
    out: dict[str, dict] = defaultdict(lambda: {"cy": [0, 0], "py": [0, 0], "t12": [0, 0], "ids": []})
    start_12 = date(on.year - 1, on.month, min(on.day, 28)) + timedelta(days=1)
    for row in rows:
        day, state = row["reported_on"], (row.get("state") or "").upper()
        if not state or day > on:
            continue
        bucket = out[state]
        cents = int(row["usd_cents"])
        for name, inside in (("cy", day.year == on.year), ("py", day.year == on.year - 1),
                             ("t12", start_12 <= day <= on)):
            if inside:
                bucket[name][0] += cents
                bucket[name][1] += 1
        bucket["ids"].append(row["source_id"])
    return dict(out)


def dollars(cents: int) -> str:
    return f"{to_major(int(cents), 'USD'):.2f}"
