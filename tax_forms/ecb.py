"""ECB euro foreign exchange reference rates, read from the ECB's own file shapes:
eurofxref-daily.xml / eurofxref-hist.xml (gesmes envelope of Cube elements) and
eurofxref-hist.csv / eurofxref.csv (Date,USD,JPY,... with "N/A" gaps and a trailing comma).

Rates are units of the currency per 1 EUR, as Decimals exactly as published.
"""
from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from pipelines.money import to_major, to_minor


def parse_xml(text: str | bytes) -> dict[date, dict[str, Decimal]]:
    root = ET.fromstring(text)
    out: dict[date, dict[str, Decimal]] = {}
    for cube in root.iter():
        if cube.tag.endswith("Cube") and "time" in cube.attrib:
            day = date.fromisoformat(cube.attrib["time"])
            rates = out.setdefault(day, {})
            for child in cube:
                if "currency" in child.attrib:
                    try:
                        rates[child.attrib["currency"].upper()] = Decimal(child.attrib["rate"])
                    except (KeyError, InvalidOperation) as exc:
                        raise ValueError(f"ECB XML {day}: bad rate for {child.attrib.get('currency')}") from exc
    if not out:
        raise ValueError("ECB XML holds no dated Cube element")
    return out


def parse_csv(text: str) -> dict[date, dict[str, Decimal]]:
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in next(reader)]
    if not header or header[0] != "Date":
        raise ValueError("ECB CSV must start with a Date column")
    out: dict[date, dict[str, Decimal]] = {}
    for row in reader:
        if not row or not row[0].strip():
            continue
        day = _csv_date(row[0].strip())
        rates = {}
        for name, value in zip(header[1:], row[1:]):
            value = value.strip()
            if name and value and value != "N/A":
                try:
                    rates[name.upper()] = Decimal(value)
                except InvalidOperation as exc:
                    raise ValueError(f"ECB CSV {day}: bad rate {value!r} for {name}") from exc
        out[day] = rates
    return out


def _csv_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        # the single-day eurofxref.csv writes "31 March 2025"
        from datetime import datetime
        return datetime.strptime(text, "%d %B %Y").date()


def parse(text: str | bytes) -> dict[date, dict[str, Decimal]]:
    stripped = text.lstrip() if isinstance(text, str) else text.lstrip().decode("utf-8")
    return parse_xml(stripped) if stripped.startswith("<") else parse_csv(stripped)


@dataclass(frozen=True)
class EcbRates:
    by_day: dict[date, dict[str, Decimal]]

    def rate(self, currency: str, day: date) -> Decimal:
        code = currency.upper()
        if code == "EUR":
            return Decimal(1)
        try:
            return self.by_day[day][code]
        except KeyError:
            raise LookupError(f"no ECB rate for {code} on {day.isoformat()}") from None

    def rate_for_period_end(self, currency: str, period_end: date, max_days: int = 10) -> tuple[Decimal, date]:
        """The OSS conversion rate: the ECB rate of the period's last day or, when none was
        published that day, of the next day of publication (VAT Directive arts. 366(1), 369h(2))."""
        if currency.upper() == "EUR":
            return Decimal(1), period_end
        for offset in range(max_days + 1):
            day = period_end + timedelta(days=offset)
            if currency.upper() in self.by_day.get(day, {}):
                return self.by_day[day][currency.upper()], day
        raise LookupError(f"no ECB rate for {currency.upper()} on or after {period_end.isoformat()}")


def to_eur_decimal(amount_minor: int, currency: str, eur_rate: Decimal) -> Decimal:
    """Unrounded EUR value: amount / (currency per EUR). Round once, later."""
    return to_major(amount_minor, currency) / Decimal(eur_rate)


def to_eur_minor(amount_minor: int, currency: str, eur_rate: Decimal) -> int:
    return to_minor(to_eur_decimal(amount_minor, currency, eur_rate), "EUR")
