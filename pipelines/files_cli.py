"""`cashbook files [--period YYYY-MM|YYYY|YYYY-Qn]`: what was produced for a period, with paths.

Looks under `$CASHBOOK_OUTPUT_DIR` where each producer writes:
  reports/<YYYY-MM>/ (monthly report), reports/<YYYY>/ (annual report),
  statements/<YYYY-MM>/ (creator statements), tax/<YYYY>/ (1099 files), tax/<YYYY-Qn>/ (VAT returns),
  payouts/<YYYY-MM-DD>/ (daily payout plans).
A month lists its own folders and its days' payout plans; a quarter its months plus its VAT
folder; a year all of that plus the annual report and the 1099 files.
"""
from __future__ import annotations

import argparse
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pipelines.settings import load_settings


@dataclass(frozen=True)
class Period:
    label: str
    first_month: date
    months: int  # 1, 3 or 12

    def month_labels(self) -> list[str]:
        return [f"{self.first_month.year}-{self.first_month.month + i:02d}" for i in range(self.months)]

    def contains_day(self, day: date) -> bool:
        return day.year == self.first_month.year and 0 <= day.month - self.first_month.month < self.months


def parse_period(text: str) -> Period:
    """'2026-10' (a month), '2026-Q4' (a quarter) or '2026' (a year)."""
    text = text.strip()
    if m := re.fullmatch(r"(\d{4})-(\d{2})", text):
        year, month = int(m[1]), int(m[2])
        if 1 <= month <= 12:
            return Period(text, date(year, month, 1), 1)
    elif m := re.fullmatch(r"(\d{4})-[Qq]([1-4])", text):
        year, quarter = int(m[1]), int(m[2])
        return Period(f"{year}-Q{quarter}", date(year, 3 * quarter - 2, 1), 3)
    elif re.fullmatch(r"\d{4}", text):
        return Period(text, date(int(text), 1, 1), 12)
    raise ValueError(f"--period: expected YYYY-MM, YYYY-Qn or YYYY, got {text!r}")


@dataclass(frozen=True)
class Produced:
    kind: str
    period: str
    path: Path


def _files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.is_dir() else []


def _quarters(period: Period) -> list[str]:
    first_q = (period.first_month.month - 1) // 3 + 1
    count = max(1, period.months // 3)
    return [f"{period.first_month.year}-Q{q}" for q in range(first_q, first_q + count)] if period.months >= 3 else []


def produced_files(output_dir: Path, period: Period | None) -> list[Produced]:
    """Every file produced for `period` (None: every period found), in a stable order."""
    out = Path(output_dir)
    found: list[Produced] = []

    def add(kind: str, label: str, folder: Path) -> None:
        found.extend(Produced(kind, label, p) for p in _files(folder))

    def labels(folder: Path, pattern: str) -> list[str]:
        return sorted(p.name for p in folder.iterdir() if p.is_dir() and re.fullmatch(pattern, p.name)) \
            if folder.is_dir() else []

    months = period.month_labels() if period else labels(out / "reports", r"\d{4}-\d{2}") + [
        m for m in labels(out / "statements", r"\d{4}-\d{2}") if m not in labels(out / "reports", r"\d{4}-\d{2}")]
    years = [period.label] if period and period.months == 12 else ([] if period else labels(out / "reports", r"\d{4}"))
    for label in sorted(set(months)):
        add("monthly report", label, out / "reports" / label)
    for label in years:
        add("annual report", label, out / "reports" / label)
    for label in sorted(set(months)):
        add("creator statements", label, out / "statements" / label)
    tax_years = [period.label] if period and period.months == 12 else ([] if period else labels(out / "tax", r"\d{4}"))
    for label in tax_years:
        add("1099 files", label, out / "tax" / label)
    quarters = _quarters(period) if period else labels(out / "tax", r"\d{4}-Q[1-4]")
    for label in quarters:
        add("VAT returns", label, out / "tax" / label)
    for label in labels(out / "payouts", r"\d{4}-\d{2}-\d{2}"):
        if period is None or period.contains_day(date.fromisoformat(label)):
            add("payout plan", label, out / "payouts" / label)
    return found


def format_listing(files: list[Produced], output_dir: Path, period: Period | None) -> str:
    what = f"for {period.label}" if period else "for every period"
    if not files:
        return f"Nothing produced {what} under {output_dir}."
    lines = [f"Produced {what} under {output_dir}:"]
    current = None
    for f in files:
        if (f.kind, f.period) != current:
            current = (f.kind, f.period)
            lines.append(f"  {f.kind} {f.period}:")
        lines.append(f"    {f.path}")
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    output_dir = Path(args.output_dir) if args.output_dir else load_settings().output_dir
    try:
        period = parse_period(args.period) if args.period else None
    except ValueError as exc:
        print(exc)
        return 2
    print(format_listing(produced_files(output_dir, period), output_dir, period))
    return 0


def register(subparsers) -> None:
    parser = subparsers.add_parser("files", help="list the reports, statements, tax files and payout plans "
                                                 "produced for a period, with their paths")
    parser.add_argument("--period", help="YYYY-MM, YYYY-Qn or YYYY (default: everything)")
    parser.add_argument("--output-dir", help="default: $CASHBOOK_OUTPUT_DIR (output/)")
    parser.set_defaults(func=run)
