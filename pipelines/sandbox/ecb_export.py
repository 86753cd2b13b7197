"""The sandbox world's daily rates as an ECB `eurofxref-hist.csv`, so the FX asset reads the
sandbox with the very loader (`tax_forms.ecb.parse`) that reads the ECB's real feed.

The world stores units of each currency per 1 USD (`fx_rates.per_usd`, exact decimal text). The
ECB publishes units per 1 EUR, so per_eur(c) = per_usd(c) / per_usd(EUR), computed in Decimal and
rounded half-up the way the ECB prints its rates: five significant digits, with at least two
decimals (USD 1.0865, GBP 0.85250, JPY 162.45, KRW 1452.87). Like the ECB, the file holds TARGET
business days only (no weekends, 1 January, Good Friday, Easter Monday, 1 May, 25-26 December),
newest first, "N/A" where a currency has no rate that day (HRK after 2022), a trailing comma.
"""
from __future__ import annotations

from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal, localcontext
from pathlib import Path

from dateutil.easter import easter

from . import store

# the ECB's own column order; currencies it does not publish follow in alphabetical order
ECB_ORDER = ("USD", "JPY", "BGN", "CYP", "CZK", "DKK", "EEK", "GBP", "HUF", "LTL", "LVL", "MTL", "PLN",
             "ROL", "RON", "SEK", "SIT", "SKK", "CHF", "ISK", "NOK", "HRK", "RUB", "TRL", "TRY", "AUD",
             "BRL", "CAD", "CNY", "HKD", "IDR", "ILS", "INR", "KRW", "MXN", "MYR", "NZD", "PHP", "SGD",
             "THB", "ZAR")
# currencies the ECB stopped publishing, from that day on (HRK: Croatia joined the euro)
RETIRED = {"HRK": date(2023, 1, 1)}
SIGNIFICANT_DIGITS = 5
MIN_DECIMALS = 2


def is_target_business_day(day: date) -> bool:
    """A day the ECB publishes reference rates (TARGET2 is open)."""
    if day.weekday() >= 5:
        return False
    if (day.month, day.day) in ((1, 1), (5, 1), (12, 25), (12, 26)):
        return False
    easter_sunday = easter(day.year)
    return day not in (easter_sunday - timedelta(days=2), easter_sunday + timedelta(days=1))


def ecb_round(value: Decimal) -> Decimal:
    """Five significant digits (at least two decimals), half-up."""
    if value <= 0:
        raise ValueError("an exchange rate must be positive")
    magnitude = value.adjusted()  # 10^magnitude <= value < 10^(magnitude+1)
    decimals = max(SIGNIFICANT_DIGITS - 1 - magnitude, MIN_DECIMALS)
    return value.quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP)


def per_eur_rates(per_usd: dict[str, Decimal], day: date | None = None) -> dict[str, Decimal]:
    """One day's per-USD rates to the ECB's per-EUR rates (EUR itself, and currencies retired by
    `day`, are left out)."""
    if "EUR" not in per_usd:
        raise ValueError("fx_rates: no EUR rate for the day, cannot derive per-EUR rates")
    usd_per_usd = per_usd.get("USD", Decimal(1))
    out = {}
    with localcontext() as ctx:
        ctx.prec = 34
        for currency, rate in per_usd.items():
            if currency == "EUR" or (day is not None and currency in RETIRED and day >= RETIRED[currency]):
                continue
            out[currency] = ecb_round(rate / usd_per_usd / per_usd["EUR"])
        if "USD" not in out:
            out["USD"] = ecb_round(usd_per_usd / per_usd["EUR"])
    return out


def ecb_csv(by_day: dict[date, dict[str, Decimal]]) -> str:
    """The eurofxref-hist.csv text for per-USD rates by day (business days only, newest first)."""
    days = sorted((d for d in by_day if is_target_business_day(d)), reverse=True)
    converted = {d: per_eur_rates(by_day[d], d) for d in days}
    present = {c for rates in converted.values() for c in rates}
    columns = [c for c in ECB_ORDER if c in present] + sorted(present - set(ECB_ORDER))
    lines = ["Date," + ",".join(columns) + ","]
    for d in days:
        rates = converted[d]
        cells = [str(rates[c]) if c in rates else "N/A" for c in columns]
        lines.append(d.isoformat() + "," + ",".join(cells) + ",")
    return "\n".join(lines) + "\n"


def read_fx_rates(world_path: str | Path) -> dict[date, dict[str, Decimal]]:
    conn = store.connect(world_path, readonly=True)
    try:
        rows = conn.execute("SELECT day, currency, per_usd FROM fx_rates ORDER BY day, currency").fetchall()
    finally:
        conn.close()
    by_day: dict[date, dict[str, Decimal]] = {}
    for day, currency, per_usd in rows:
        by_day.setdefault(date.fromisoformat(day[:10]), {})[currency.upper()] = Decimal(per_usd)
    return by_day


def write_ecb_csv(world_path: str | Path, out_path: str | Path) -> int:
    """Write the world's rates as eurofxref-hist.csv; returns the number of business days written."""
    by_day = read_fx_rates(world_path)
    if not by_day:
        raise ValueError(f"{world_path}: the fx_rates table is empty (run the simulator first)")
    text = ecb_csv(by_day)
    out = Path(out_path)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    return text.count("\n") - 1
