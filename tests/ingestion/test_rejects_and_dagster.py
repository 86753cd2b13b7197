"""Malformed objects go to _rejected and the run goes on; the Dagster assets report metadata
and never let the key into logs, metadata or the event log."""
from __future__ import annotations

import sqlite3

import duckdb
import dagster as dg
import stripe

from pipelines.sandbox.testing import running_sandbox, write_world
from tests.ingestion.conftest import duck_url, ingest
from tests.ingestion.handworld import CLOCK, hand_objects


def test_malformed_objects_are_rejected_with_reason_and_the_run_goes_on(tmp_path):
    objects = hand_objects()
    objects.append({"id": "ch_badcreated", "object": "charge", "created": CLOCK - 9,
                    "livemode": False, "amount": 100})
    objects.append({"id": "ch_wrongobject", "object": "charge", "created": CLOCK - 5,
                    "livemode": "no", "amount": 100})
    world = write_world(tmp_path / "w.sqlite", objects, clock=CLOCK)
    with sqlite3.connect(world) as con:  # the store needs an integer; the API answers a string
        con.execute("UPDATE objects SET payload = json_set(payload, '$.created', 'yesterday') "
                    "WHERE id = 'ch_badcreated'")
    path = tmp_path / "wh.duckdb"
    result = ingest(world, duck_url(path))
    charge = result.tables["charge"]
    assert (charge.received, charge.inserted, charge.rejected) == (122, 120, 2)
    for s in result.tables.values():
        assert s.received == s.inserted + s.updated + s.rejected or s.inserted + s.updated <= s.received
    con = duckdb.connect(str(path), read_only=True)
    rejected = con.execute("SELECT object_type, object_id, field, reason, raw_payload FROM "
                           "raw_stripe._rejected ORDER BY object_id").fetchall()
    assert [(r[0], r[1], r[2]) for r in rejected] == [
        ("charge", "ch_badcreated", "created"), ("charge", "ch_wrongobject", "livemode")]
    assert "not an integer" in rejected[0][3] and '"yesterday"' in rejected[0][4]
    # the rest landed: 120 charges, 230 customers, 25 invoice lines, 5 reversals, Connect data
    counts = dict(con.execute(
        "SELECT 'charge', COUNT(*) FROM raw_stripe.charge UNION ALL "
        "SELECT 'customer', COUNT(*) FROM raw_stripe.customer UNION ALL "
        "SELECT 'reversal', COUNT(*) FROM raw_stripe.transfer_reversal UNION ALL "
        "SELECT 'lines', json_array_length(payload -> '$.lines.data') FROM raw_stripe.invoice UNION ALL "
        "SELECT 'payout_acct', COUNT(*) FROM raw_stripe.payout WHERE account = 'acct_A0000000000001'"
    ).fetchall())
    assert counts == {"charge": 120, "customer": 230, "reversal": 5, "lines": 25, "payout_acct": 1}
    # events in an older API version were re-fetched; the pinned ones were used as they came
    assert con.execute("SELECT COUNT(*) FROM raw_stripe.event").fetchone()[0] == 6
    con.close()


def test_assets_report_metadata_and_never_the_key(tiny_world, tmp_path, monkeypatch):
    from assets.raw_stripe import stripe_raw_sync
    from pipelines.resources import StripeResource, WarehouseResource

    home = tmp_path / "dagster_home"
    home.mkdir()
    monkeypatch.setenv("DAGSTER_HOME", str(home))
    with running_sandbox(tiny_world) as srv:
        key = srv.api_key
        monkeypatch.setenv("STRIPE_API_KEY", key)
        monkeypatch.setenv("STRIPE_API_BASE", srv.base_url)
        with dg.DagsterInstance.get() as instance:
            result = dg.materialize(
                [stripe_raw_sync], instance=instance,
                resources={"stripe": StripeResource(api_key=dg.EnvVar("STRIPE_API_KEY"),
                                                    base_delay_s=0.01),
                           "warehouse": WarehouseResource(url=duck_url(tmp_path / "wh.duckdb"))})
            assert result.success
            mats = result.get_asset_materialization_events()
            assert len(mats) == 21
            by_key = {m.asset_key.path[-1]: m.materialization.metadata for m in mats}
            con = duckdb.connect(str(tmp_path / "wh.duckdb"), read_only=True)
            charges = con.execute("SELECT COUNT(*) FROM raw_stripe.charge").fetchone()[0]
            con.close()
            assert by_key["charge"]["rows_inserted"].value == charges > 0
            assert by_key["charge"]["api_calls"].value >= 1
            records = instance.get_records_for_run(result.run_id).records
            text = "\n".join(str(r.event_log_entry) for r in records)
    assert len(records) > 20
    assert key not in text and key[-12:] not in text
    assert stripe.api_key is None or stripe.api_key != key
