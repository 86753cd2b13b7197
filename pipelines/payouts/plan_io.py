"""The plan on disk: `output/payouts/<date>/plan.csv` (lines), `exclusions.csv`, `totals.csv`,
and reading plan lines back for `cashbook payouts execute --plan-file`. Reading is strict: a
plan file is about to move money, so every bad field is an error naming its row and column.

Also the JSON form of plan inputs, for running a plan without the warehouse."""
from __future__ import annotations

import csv
import json
from dataclasses import asdict, fields
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any, Iterable

from .fx import FxRates
from .model import AccountFacts, CreatorBalance, InstantRequest, OpenDispute, PlanInputs
from .plan import CurrencyTotal, Exclusion, PayoutPlan, PlanLine
from .reconcile import ItemizedRow, ReconciledLine, recent_payout_from_stripe

LINE_FIELDS = [f.name for f in fields(PlanLine)]
_INT_FIELDS = {"amount", "fee", "net", "plan_version", "available", "in_flight", "reserved",
               "remainder"}
_OPTIONAL = {"destination", "retry_of", "failure_code", "remainder_reason"}
# columns added after plan files were first written: a file without them reads as their default
_LATER_COLUMNS = {"remainder": 0, "remainder_reason": None}


def plan_dir(output_dir: Path, day: date) -> Path:
    return Path(output_dir) / "payouts" / day.isoformat()


def _write(path: Path, header: list[str], rows: Iterable[dict[str, Any]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=header)
        writer.writeheader()
        for row in rows:
            writer.writerow({k: ("" if v is None else v) for k, v in row.items()})
    return path


def write_plan(plan: PayoutPlan, directory: Path) -> dict[str, Path]:
    directory = Path(directory)
    return {
        "plan": _write(directory / "plan.csv", LINE_FIELDS, (asdict(l) for l in plan.lines)),
        "exclusions": _write(directory / "exclusions.csv", [f.name for f in fields(Exclusion)],
                             (asdict(e) for e in plan.exclusions)),
        "totals": _write(directory / "totals.csv", [f.name for f in fields(CurrencyTotal)],
                         (asdict(t) for t in plan.totals)),
    }


def read_plan_lines(path: Path) -> tuple[PlanLine, ...]:
    path = Path(path)
    with path.open(newline="") as fh:
        reader = csv.DictReader(fh)
        present = set(reader.fieldnames or ())
        missing = set(LINE_FIELDS) - present - set(_LATER_COLUMNS)
        if missing:
            raise ValueError(f"{path}: missing columns {', '.join(sorted(missing))}")
        lines = []
        for number, row in enumerate(reader, start=2):
            values: dict[str, Any] = {}
            for name in LINE_FIELDS:
                if name not in present:
                    values[name] = _LATER_COLUMNS[name]
                    continue
                raw = (row.get(name) or "").strip()
                try:
                    if name in _INT_FIELDS:
                        if not raw.lstrip("-").isdigit():
                            raise ValueError(f"{raw!r} is not a whole number of minor units")
                        values[name] = int(raw)
                    elif name == "day":
                        values[name] = date.fromisoformat(raw)
                    elif name in _OPTIONAL:
                        values[name] = raw or None
                    else:
                        if not raw:
                            raise ValueError("is empty")
                        values[name] = raw.upper() if name == "currency" else raw
                except ValueError as exc:
                    raise ValueError(f"{path} row {number}, column {name}: {exc}") from None
            lines.append(PlanLine(**values))
    return tuple(lines)


def write_reconciliation(lines: Iterable[ReconciledLine], path: Path) -> Path:
    header = [f.name for f in fields(ReconciledLine)]
    return _write(Path(path), header,
                  ({**asdict(l), "reasons": "; ".join(l.reasons)} for l in lines))


def write_itemized(rows: Iterable[ItemizedRow], path: Path) -> Path:
    return _write(Path(path), [f.name for f in fields(ItemizedRow)], (asdict(r) for r in rows))


def _decimal(value: Any, where: str) -> Decimal:
    if isinstance(value, float):
        raise TypeError(f"{where}: write rates and scores as strings, not floats")
    try:
        return Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"{where}: {value!r} is not a number") from None


def inputs_from_json(data: dict[str, Any]) -> PlanInputs:
    """Plan inputs from plain JSON: Stripe `account` and `payout` objects as Stripe returns them
    (payouts with an `account` field naming the creator), the rest as flat records."""
    day = date.fromisoformat(data["day"])
    accounts = {a["id"]: AccountFacts.from_stripe(a) for a in data.get("accounts", [])}
    fx = None
    if data.get("fx"):
        fx = FxRates(date.fromisoformat(data["fx"].get("day", data["day"])), data["fx"]["base"],
                     {c: _decimal(r, f"fx rate {c}") for c, r in data["fx"]["rates"].items()})
    return PlanInputs(
        day=day,
        balances=tuple(CreatorBalance(**b) for b in data.get("balances", [])),
        accounts=accounts,
        open_disputes=tuple(OpenDispute(**d) for d in data.get("open_disputes", [])),
        recent_payouts=tuple(recent_payout_from_stripe(p, p["account"])
                             for p in data.get("recent_payouts", [])),
        instant_requests=tuple(InstantRequest(**r) for r in data.get("instant_requests", [])),
        fx=fx,
        fraud_scores={k: _decimal(v, f"fraud score {k}") for k, v in
                      (data.get("fraud_scores") or {}).items()} or None,
        in_flight={(f["creator"], f["currency"].upper()): int(f["amount"])
                   for f in data.get("in_flight", [])},
    )


def read_inputs(path: Path) -> PlanInputs:
    return inputs_from_json(json.loads(Path(path).read_text()))
