"""The neutral shape of a rendered report: sections of tables and charts, with typed cells.

Builders (monthly, annual, statements) produce a `Report`; the HTML, PDF and CSV writers render
the same `Report`, so every format shows the same figures. Cells keep their type (Money, Percent,
Multiple) until the last step: `display` formats for people (`pipelines.money.format_money`),
`csv_value` writes exact major-unit text for spreadsheets.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import ROUND_HALF_UP, Decimal
from typing import Union

from pipelines.money import format_money, to_major

NOT_AVAILABLE = "n/a"


@dataclass(frozen=True)
class Money:
    minor: int
    currency: str

    def __post_init__(self) -> None:
        if isinstance(self.minor, (bool, float)) or not isinstance(self.minor, int):
            raise TypeError(f"Money.minor must be int minor units, got {type(self.minor).__name__}")


@dataclass(frozen=True)
class Percent:
    """A ratio shown as a percentage with two decimals (half-up)."""

    value: Decimal | None


@dataclass(frozen=True)
class Multiple:
    """A ratio shown as a multiple, e.g. the quick ratio '2.50x'."""

    value: Decimal | None


Cell = Union[Money, Percent, Multiple, int, str, date, None]


def _half_up(value: Decimal, places: int) -> Decimal:
    return value.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)


def display(cell: Cell) -> str:
    if cell is None:
        return NOT_AVAILABLE
    if isinstance(cell, Money):
        return format_money(cell.minor, cell.currency)
    if isinstance(cell, Percent):
        return NOT_AVAILABLE if cell.value is None else f"{_half_up(cell.value * 100, 2)}%"
    if isinstance(cell, Multiple):
        return NOT_AVAILABLE if cell.value is None else f"{_half_up(cell.value, 2)}x"
    if isinstance(cell, bool):
        return "yes" if cell else "no"
    if isinstance(cell, int):
        return f"{cell:,}"
    if isinstance(cell, datetime):
        if cell.tzinfo is not None:
            cell = cell.astimezone(timezone.utc)
        return cell.strftime("%Y-%m-%d %H:%M UTC")  # naive times are UTC throughout (DESIGN)
    if isinstance(cell, date):
        return cell.isoformat()
    return str(cell)


def csv_value(cell: Cell) -> str:
    """Exact and machine-readable: money in major units without grouping ('1234.50'), ratios as
    their exact decimal, empty for none."""
    if cell is None:
        return ""
    if isinstance(cell, Money):
        return str(to_major(cell.minor, cell.currency))
    if isinstance(cell, (Percent, Multiple)):
        return "" if cell.value is None else str(cell.value)
    if isinstance(cell, bool):
        return "true" if cell else "false"
    if isinstance(cell, date):
        return cell.isoformat()
    return str(cell)


@dataclass
class Table:
    name: str  # file-safe: the CSV file name
    title: str
    columns: list[str]
    rows: list[list[Cell]]
    total_rows: int = 0  # how many trailing rows are totals (shown bold)

    def __post_init__(self) -> None:
        for i, row in enumerate(self.rows):
            if len(row) != len(self.columns):
                raise ValueError(f"table {self.name}: row {i} has {len(row)} cells for {len(self.columns)} columns")


@dataclass
class Chart:
    name: str
    title: str
    png: bytes


@dataclass
class Section:
    key: str
    title: str
    tables: list[Table] = field(default_factory=list)
    charts: list[Chart] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unavailable: str | None = None  # the reason, when the section has no data

    @classmethod
    def not_available(cls, key: str, title: str, reason: str) -> "Section":
        return cls(key=key, title=title, unavailable=reason)


@dataclass
class Report:
    name: str  # file stem, e.g. monthly_report_2026-10
    title: str
    period: str
    generated_at: datetime
    sections: list[Section]
    source: str = ""

    def tables(self) -> list[Table]:
        return [t for s in self.sections for t in s.tables]

    def charts(self) -> list[Chart]:
        return [c for s in self.sections for c in s.charts]
