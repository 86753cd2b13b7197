"""One small sandbox world, built once: rates, tax profiles, dbt tax marts, then every tax asset
materialized in a temporary Dagster instance and output folder. Two hand-made US creators are
added beside the world's own, so the thresholds are crossed with figures worked out by hand:

- creator A (valid SSN, Ohio): 2025: 204 card charges of $100.00 (one of them later refunded in
  full) and one JPY 15,000 charge converted at the ECB rates of 2025-08-14; bonuses $400 + $350.
  2026 (before the world begins): 201 charges of $100.00; bonuses $1,500 + $600.
- creator B (invalid SSN 000-12-3456): 3 charges of $50.00 in 2025: a TIN exception.
"""
from __future__ import annotations

import calendar
import csv
import json
from dataclasses import dataclass, field
from pathlib import Path

import dagster as dg
import pytest

from pipelines.sandbox.cli import TAX_PROFILE_COLUMNS, export_tax_profiles
from pipelines.sandbox.ecb_export import write_ecb_csv
from pipelines.sandbox.generate import generate_world
from tests.dbt.conftest import make_duck_warehouse, run_dbt
from tests.dbt.raw_loader import insert_objects, load_world, stripe_fixture
from tests.tax_assets.world_fx import ensure_fx_rates

CREATOR_A = "acct_TaxTestCreatorA01"
CREATOR_B = "acct_TaxTestCreatorB01"
TIN_A = "432118765"
TIN_B = "000123456"
JPY_DAY = (2025, 8, 14)
YEARS = ("2025", "2026")
QUARTERS = ("2026-07-01", "2026-01-01")  # 2026-Q3 (sales) and 2026-Q1 (before the world: nil)


def _ts(y, m, d, hour=12) -> int:
    return calendar.timegm((y, m, d, hour, 0, 0))


def _charge(cid: str, creator: str, created: int, amount: int, currency: str = "usd", refunded: int = 0) -> dict:
    ch = stripe_fixture("charge")
    ch.update(id=cid, created=created, amount=amount, amount_captured=amount, amount_refunded=refunded,
              refunded=refunded == amount, currency=currency, status="succeeded", paid=True, captured=True,
              transfer_data={"destination": creator, "amount": None}, balance_transaction=None,
              application_fee_amount=None, application_fee=None, on_behalf_of=None, payment_intent=None,
              customer=None, invoice=None, metadata={"kind": "tip"}, transfer=None, review=None,
              payment_method_details={"type": "card", "card": {"country": "US", "brand": "visa", "wallet": None}})
    return ch


def _bonus(tid: str, creator: str, created: int, amount: int) -> dict:
    tr = stripe_fixture("transfer")
    tr.update(id=tid, created=created, amount=amount, amount_reversed=0, reversed=False, currency="usd",
              destination=creator, metadata={"kind": "bonus"}, balance_transaction=None,
              source_transaction=None, destination_payment=None, description="Creator bonus")
    tr["reversals"] = {"object": "list", "data": [], "has_more": False, "url": "/v1/transfers/x/reversals"}
    return tr


def hand_made_charges() -> list[dict]:
    charges = []
    for i in range(204):  # 2025: June..December, round robin
        month = 6 + i % 7
        charges.append(_charge(f"ch_taxA2025_{i:03d}", CREATOR_A, _ts(2025, month, 1 + i % 28), 10_000,
                               refunded=10_000 if i == 0 else 0))
    charges.append(_charge("ch_taxA2025_jpy", CREATOR_A, _ts(*JPY_DAY), 15_000, currency="jpy"))
    for i in range(201):  # 2026: January..April
        charges.append(_charge(f"ch_taxA2026_{i:03d}", CREATOR_A, _ts(2026, 1 + i % 4, 1 + i % 28), 10_000))
    for i in range(3):
        charges.append(_charge(f"ch_taxB2025_{i:03d}", CREATOR_B, _ts(2025, 9, 10 + i), 5_000))
    return charges


def hand_made_bonuses() -> list[dict]:
    return [_bonus("tr_taxA2025_1", CREATOR_A, _ts(2025, 7, 1), 40_000),
            _bonus("tr_taxA2025_2", CREATOR_A, _ts(2025, 11, 3), 35_000),
            _bonus("tr_taxA2026_1", CREATOR_A, _ts(2026, 2, 2), 150_000),
            _bonus("tr_taxA2026_2", CREATOR_A, _ts(2026, 3, 2), 60_000)]


def _profiles_csv(world: Path, out: Path) -> None:
    export_tax_profiles(world, out)
    with open(out, "a", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow([CREATOR_A, "Ada Testcreator", "SSN", TIN_A, 1, "10 Elm Street", "Columbus", "OH", "43004",
                         "US", 0])
        writer.writerow([CREATOR_B, "Ben Notin", "SSN", TIN_B, 1, "2 Oak Road", "Dayton", "OH", "45402", "US", 0])
    assert len(TAX_PROFILE_COLUMNS) == 11


@dataclass
class TaxRun:
    root: Path
    warehouse: object
    output: Path
    ecb_csv: Path
    instance: dg.DagsterInstance
    results: dict = field(default_factory=dict)  # name -> ExecuteInProcessResult

    def metadata(self, name: str, key: tuple[str, ...]) -> dict:
        result = self.results[name]
        events = [e for e in result.get_asset_materialization_events()
                  if e.materialization.asset_key == dg.AssetKey(list(key))]
        assert events, f"{key} not materialized in {name}"
        return {k: v.value for k, v in events[-1].materialization.metadata.items()}

    def checks(self, name: str) -> dict[str, bool]:
        return {f"{'/'.join(e.asset_key.path)}:{e.check_name}": e.passed
                for e in self.results[name].get_asset_check_evaluations()}


@pytest.fixture(scope="session")
def tax_run(tmp_path_factory) -> TaxRun:
    from assets import tax

    root = tmp_path_factory.mktemp("tax_assets")
    world = root / "world.sqlite"
    generate_world(world, size="small", seed=42)
    ensure_fx_rates(world, seed=42)  # the hand-made 2025 charges need 2025 rates
    ecb_csv = root / "eurofxref-hist.csv"
    write_ecb_csv(world, ecb_csv)
    profiles = root / "tax_profiles.csv"
    _profiles_csv(world, profiles)

    wh = make_duck_warehouse(root)
    with wh.connect() as conn:
        load_world(world, conn)
        insert_objects(conn, "charge", hand_made_charges())
        insert_objects(conn, "transfer", hand_made_bonuses())

    output = root / "output"
    config = tax.TaxConfig(warehouse_url=f"duckdb:///{wh.path}", output_dir=str(output),
                           tax_profiles_csv=str(profiles), ecb_rates_source=str(ecb_csv))
    resources = {"tax_config": config}
    (root / "dagster_home").mkdir()
    instance = dg.DagsterInstance.local_temp(str(root / "dagster_home"))
    run = TaxRun(root, wh, output, ecb_csv, instance)
    run.results["inputs"] = dg.materialize([tax.ecb_rates, tax.tax_profiles], resources=resources, instance=instance)
    # upstream models and seeds without their tests (other suites own those), then the tax models with theirs
    run_dbt(wh.env, "build", "--select", "+marts.tax,resource_type:model", "+marts.tax,resource_type:seed",
            "intermediate.tax", "marts.tax", "--indirect-selection", "cautious")
    for year in YEARS:
        run.results[year] = dg.materialize([tax.tax_1099k, tax.tax_1099nec], partition_key=year,
                                           resources=resources, instance=instance)
    for quarter in QUARTERS:
        run.results[quarter] = dg.materialize([tax.eu_oss_return, tax.uk_vat_return, tax.digital_services_liability],
                                              partition_key=quarter, resources=resources, instance=instance)
    run.results["nexus"] = dg.materialize([tax.us_nexus], resources=resources, instance=instance)
    return run


def event_log_text(instance: dg.DagsterInstance) -> str:
    """Every event the instance stored, as text (to look for leaked numbers)."""
    texts = []
    for run in instance.get_runs():
        for entry in instance.all_logs(run.run_id):
            texts.append(entry.message or "")
            texts.append(json.dumps(str(entry.dagster_event)) if entry.dagster_event else "")
    return "\n".join(texts)
