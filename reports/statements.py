"""Monthly creator statements (issue 8 item 2): what a creator earned and was paid, PDF and CSV.

net = gross - refunds - disputes - fees - commission + bonuses + adjustments
balance carried forward = previous balance + net - payouts
All in the currency of the creator's own Stripe balance, integer minor units; the carried balance
is the balance of that account at the month's end (marts.fct_creator_statements_monthly).
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from reports.layout import Money, Percent, Report, Section, Table, csv_value, display
from reports.model import CreatorStatementData
from reports.render_pdf import write_pdf


@dataclass(frozen=True)
class StatementTotals:
    net: int
    balance_carried_forward: int


def statement_totals(data: CreatorStatementData) -> StatementTotals:
    net = (data.gross - data.refunds - data.disputes - data.fees - data.commission + data.bonuses
           + data.adjustments)
    return StatementTotals(net=net, balance_carried_forward=data.previous_balance + net - data.payouts)


def statement_items(data: CreatorStatementData) -> list[tuple[str, int]]:
    """The statement's lines, signed as they move the balance (deductions negative)."""
    totals = statement_totals(data)
    rate = "" if data.commission_rate is None else f", {display(Percent(data.commission_rate))}"
    return [
        ("Previous balance", data.previous_balance),
        ("Gross sales", data.gross),
        ("Refunds", -data.refunds),
        ("Disputes", -data.disputes),
        ("Processing fees", -data.fees),
        (f"Platform commission ({data.tier} tier{rate})", -data.commission),
        ("Bonuses", data.bonuses),
        *([("Other adjustments", data.adjustments)] if data.adjustments else []),
        ("Net earnings", totals.net),
        ("Payouts", -data.payouts),
        ("Balance carried forward", totals.balance_carried_forward),
    ]


def statement_name(data: CreatorStatementData) -> str:
    return f"statement_{data.creator_account_id}_{data.month:%Y-%m}"


def statement_report(data: CreatorStatementData) -> Report:
    cur = data.currency
    items = statement_items(data)
    summary = Section("summary", f"Statement for {data.creator_name} ({data.creator_account_id})")
    summary.notes.append(
        f"Tier {data.tier} with {data.active_subscribers:,} active subscribers at the start of the month. "
        f"All amounts in {cur}, the currency of your Stripe balance. Gross sales exclude the VAT the "
        "platform collects and remits; processing fees are the quoted price (card 2.9% + 30 cents). "
        "Net earnings = gross - refunds - disputes - fees - commission + bonuses (+ adjustments); "
        "balance carried forward = previous balance + net earnings - payouts to your bank.")
    summary.tables.append(Table("statement", "Summary", ["Item", "Amount"],
                                [[label, Money(v, cur)] for label, v in items], total_rows=1))
    sections = [summary]
    if data.lines:
        sections.append(Section("lines", "Itemised", tables=[Table(
            "statement_lines", "Payouts, bonuses and adjustments", ["Date", "Description", "Amount"],
            [[line.day, line.description, Money(line.amount, cur)] for line in data.lines])]))
    return Report(
        name=statement_name(data),
        title="Cashbook creator statement",
        period=f"{data.month:%B %Y} ({data.month:%Y-%m})",
        generated_at=data.generated_at or datetime.now(timezone.utc),
        sections=sections,
    )


def statement_csv(data: CreatorStatementData) -> str:
    """One row per statement item: exact major units, so a creator's spreadsheet adds up."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(["creator_account_id", "month", "currency", "item", "amount", "amount_minor"])
    for label, value in statement_items(data):
        writer.writerow([data.creator_account_id, f"{data.month:%Y-%m}", data.currency, label,
                         csv_value(Money(value, data.currency)), value])
    return buf.getvalue()


def build_creator_statement(data: CreatorStatementData, out_dir: Path | str) -> list[Path]:
    """Writes statement_<account>_<YYYY-MM>.pdf and .csv; returns [pdf, csv]."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    name = statement_name(data)
    pdf = write_pdf(statement_report(data), out / f"{name}.pdf")
    csv_path = out / f"{name}.csv"
    csv_path.write_text(statement_csv(data), encoding="utf-8")
    return [pdf, csv_path]


def build_creator_statements(statements: list[CreatorStatementData], out_dir: Path | str) -> list[Path]:
    paths: list[Path] = []
    for data in statements:
        paths.extend(build_creator_statement(data, out_dir))
    return paths
