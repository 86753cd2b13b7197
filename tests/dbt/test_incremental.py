"""Incremental models rebuild exactly what a full refresh builds (issue 4: "a full refresh rebuilds
them exactly"). The small world is built, then moved on a day and landed as the ingestion lands
it (new and changed objects upserted by id with a newer synced_at, unchanged rows untouched), with
a deleted object, an invoice that lost a line and two late corrections of old objects on top; an
incremental `dbt run` must then hold the same rows, table by table, as `dbt run --full-refresh`
of a copy of the same warehouse, on DuckDB and on PostgreSQL."""
from __future__ import annotations

import json
import shutil
from datetime import timedelta

import pytest

from tests.dbt.conftest import (RUN_COLUMNS, DuckWarehouse, PgWarehouse, make_duck_warehouse, make_pg_warehouse,
                                 run_dbt)
from tests.dbt.money_world import SYNCED_AT, load_world_fast, world_objects
from tests.dbt.raw_loader import load_world_ecb_rates

NEXT_SYNC = SYNCED_AT + timedelta(days=1)
LAYERS = ("staging", "intermediate", "marts")
# seeds and models, no tests: this file is about rows (tests/dbt runs the dbt tests elsewhere)
BUILD = ("build", "--exclude-resource-type", "test", "--exclude-resource-type", "unit_test")


def land_changes(world, conn) -> dict[str, int]:
    """Upsert the world's new and changed objects (payload compared as JSON) with NEXT_SYNC, as
    the landing does; returns the count of rows written per table."""
    import pyarrow as pa

    written: dict[str, int] = {}
    for (table, account), objects in world_objects(world).items():
        held = {i: json.loads(p) for i, p in conn.execute(
            f"select id, cast(payload as varchar) from raw_stripe.{table}").fetchall()}
        rows = [(o["id"], account, o["created"], json.dumps(o)) for o in objects if held.get(o["id"]) != o]
        if not rows:
            continue
        batch = pa.table({name: list(col) for name, col in zip(("id", "account", "created", "payload"), zip(*rows))})
        conn.register("_changed", batch)
        conn.execute(f"delete from raw_stripe.{table} where id in (select id from _changed)")
        conn.execute(
            f"insert into raw_stripe.{table} (id, account, created, livemode, api_version, payload, synced_at, "
            "source, is_deleted) select id, account, created, false, '2026-10-28.endive', payload, ?, 'event', "
            "false from _changed", [NEXT_SYNC])
        conn.unregister("_changed")
        written[table] = written.get(table, 0) + len(rows)
    return written


def delete_and_trim(conn) -> tuple[str, str]:
    """Stripe deletes a customer (the row stays, is_deleted); an invoice loses its last line
    (its other lines stay: the child rows of a changed parent must be replaced as a whole)."""
    customer = conn.execute("select id from raw_stripe.customer order by id limit 1").fetchone()[0]
    conn.execute("update raw_stripe.customer set is_deleted = true, synced_at = ? where id = ?",
                 [NEXT_SYNC, customer])
    invoice, payload = conn.execute(
        "select id, cast(payload as varchar) from raw_stripe.invoice "
        "where json_array_length(json_extract(payload, '$.lines.data')) >= 2 order by id limit 1").fetchone()
    obj = json.loads(payload)
    obj["lines"]["data"] = obj["lines"]["data"][:-1]
    conn.execute("update raw_stripe.invoice set payload = ?, synced_at = ? where id = ?",
                 [json.dumps(obj), NEXT_SYNC, invoice])
    return customer, invoice


def correct_old_objects(wh) -> tuple[str, str]:
    """Late corrections, the kind a day can bring for any month (the slices an incremental model
    rebuilds must come from the changed rows, not from "the latest month"): a paid subscription
    invoice from months ago is voided (its service period, so MRR of an old month, goes); a
    balance transaction an old automatic payout swept becomes available a second before the
    payout before it (it moves to that payout's items); a product becomes a custom tier (the
    product kind of its charges, however old, changes). Returns (invoice id, balance transaction id)."""
    from datetime import timezone

    invoice = wh.query(
        "select min(periods.invoice_id) from intermediate.int_subscriptions__service_periods as periods "
        "inner join intermediate.int_subscriptions__months as months "
        "on periods.period_start_at < months.snapshot_at and periods.period_end_at >= months.snapshot_at "
        "where periods.invoice_status = 'paid' and periods.mrr_exact > 0 and months.month < "
        "(select max(month) from intermediate.int_subscriptions__months) - interval '2 months'")[0][0]
    bt, earlier_payout_at = wh.query(
        "with payouts as (select distinct balance_account, currency, payout_id, payout_created_at "
        "from marts.fct_payout_reconciliation_itemized where is_automatic), "
        "windows as (select *, lag(payout_created_at) over (partition by balance_account, currency "
        "order by payout_created_at, payout_id) as previous_at from payouts) "
        "select items.balance_transaction_id, windows.previous_at "
        "from marts.fct_payout_reconciliation_itemized as items "
        "inner join windows on windows.payout_id = items.payout_id "
        "where windows.previous_at is not null and items.balance_transaction_id is not null "
        "and items.available_on_at > windows.previous_at "
        "order by windows.payout_created_at, items.balance_transaction_id limit 1")[0]
    product = wh.query(
        "select min(charges.product_id) from intermediate.int_payments__charges as charges "
        "where charges.product_kind = 'tier_subscription' and charges.created_at < "
        "(select max(created_at) from intermediate.int_payments__charges) - interval '30 days'")[0][0]
    moved_to = int(earlier_payout_at.replace(tzinfo=timezone.utc).timestamp()) - 1
    rewrite_payload(wh, "invoice", invoice, lambda o: o.update(status="void"))
    rewrite_payload(wh, "balance_transaction", bt, lambda o: o.update(available_on=moved_to))
    # the creator makes a tier custom: every charge of it, however old, becomes a 'custom' sale
    rewrite_payload(wh, "product", product, lambda o: o.setdefault("metadata", {}).update(tier="custom"))
    return invoice, bt


def rewrite_payload(wh, table: str, object_id: str, change) -> None:
    """Land a changed object as the ingestion would: new payload, newer synced_at."""
    pg = wh.kind == "postgres"
    payload = wh.query(f"select {'payload::text' if pg else 'cast(payload as varchar)'} "
                       f"from raw_stripe.{table} where id = '{object_id}'")[0][0]
    obj = json.loads(payload)
    change(obj)
    conn = wh.connect()
    try:
        (conn.cursor() if pg else conn).execute(
            f"update raw_stripe.{table} set payload = {'%s' if pg else '?'}, synced_at = {'%s' if pg else '?'} "
            f"where id = {'%s' if pg else '?'}", (json.dumps(obj), NEXT_SYNC, object_id))
    finally:
        conn.close()


def differing_tables(inc: DuckWarehouse, ref: DuckWarehouse) -> dict[str, tuple[int, int, int]]:
    """{table: (rows, rows only in inc, rows only in ref)} for every table that differs
    (EXCEPT ALL both ways, every column compared as text)."""
    diffs = {}
    with inc.connect() as conn:
        conn.execute(f"attach '{ref.path}' as ref (read_only)")
        db = conn.execute("select current_database()").fetchone()[0]
        tables = conn.execute(
            "select table_schema, table_name from information_schema.tables where table_catalog = ? "
            f"and table_schema in {LAYERS} and table_type = 'BASE TABLE' order by 1, 2", [db]).fetchall()
        assert len(tables) > 40
        for schema, table in tables:
            cols = [r[0] for r in conn.execute(
                "select column_name from information_schema.columns where table_catalog = ? "
                "and table_schema = ? and table_name = ? order by ordinal_position", [db, schema, table]).fetchall()
                if r[0] not in RUN_COLUMNS]
            sel = ", ".join(f'cast("{c}" as varchar)' for c in cols)
            a, b = f"{db}.{schema}.{table}", f"ref.{schema}.{table}"
            only_a = conn.execute(f"select count(*) from (select {sel} from {a} except all select {sel} from {b})").fetchone()[0]
            only_b = conn.execute(f"select count(*) from (select {sel} from {b} except all select {sel} from {a})").fetchone()[0]
            if only_a or only_b:
                diffs[f"{schema}.{table}"] = (conn.execute(f"select count(*) from {a}").fetchone()[0], only_a, only_b)
    return diffs


@pytest.fixture(scope="module")
def advanced(tmp_path_factory):
    """(incremental warehouse after one more day, full-refresh copy, customer deleted, invoice trimmed)."""
    from pipelines.sandbox.advance import advance_world
    from pipelines.sandbox.generate import generate_world

    base = tmp_path_factory.mktemp("incremental")
    world = base / "world.sqlite"
    generate_world(world, size="small", seed=42)
    (base / "inc").mkdir()
    wh = make_duck_warehouse(base / "inc")
    with wh.connect() as conn:
        load_world_fast(world, conn, "duckdb")
    run_dbt(wh.env, *BUILD)
    advance_world(world, 1)
    with wh.connect() as conn:
        written = land_changes(world, conn)
        load_world_ecb_rates(world, conn)
        customer, invoice = delete_and_trim(conn)
    correct_old_objects(wh)
    assert written.get("charge", 0) > 0 and written.get("invoice", 0) > 0 and written.get("balance_transaction", 0) > 0
    run_dbt(wh.env, *BUILD)
    (base / "ref").mkdir()
    ref = DuckWarehouse(base / "ref" / "warehouse.duckdb")
    shutil.copy(wh.path, ref.path)
    run_dbt(ref.env, *BUILD, "--full-refresh")
    return wh, ref, customer, invoice


def test_incremental_run_after_a_day_equals_a_full_refresh(advanced):
    wh, ref, _, _ = advanced
    assert differing_tables(wh, ref) == {}


def test_incremental_staging_drops_deleted_objects_and_vanished_lines(advanced):
    wh, _, customer, invoice = advanced
    assert wh.query(f"select count(*) from staging.stg_stripe__customers where customer_id = '{customer}'") == [(0,)]
    raw_lines = wh.query(f"select json_array_length(json_extract(payload, '$.lines.data')) from raw_stripe.invoice where id = '{invoice}'")
    assert wh.query(f"select count(*) from staging.stg_stripe__invoice_lines where invoice_id = '{invoice}'") == raw_lines


def test_staging_runs_are_incremental(advanced):
    """A row the raw table did not change since the model's watermark is not rebuilt: a sentinel
    written into the table survives the next run (a full rebuild would drop it)."""
    wh = advanced[0]
    with wh.connect() as conn:
        conn.execute("insert into staging.stg_stripe__charges (charge_id, synced_at) values ('ch_sentinel', ?)",
                     [SYNCED_AT])
    run_dbt(wh.env, *BUILD, "--select", "stg_stripe__charges")
    assert wh.query("select count(*) from staging.stg_stripe__charges where charge_id = 'ch_sentinel'") == [(1,)]


def test_service_periods_watermark_covers_the_prices_they_were_built_from(advanced):
    """An ingest lands prices and subscriptions after its last invoice. When the watermark was the
    invoice's write, the next run took each of those for a change and rebuilt every invoice it
    reached (half the table on the large world's first day, 0.9 s). A row's synced_at is now the
    newest write among its invoice, price and subscription, so the watermark is past them."""
    wh = advanced[0]
    price_a, price_b = (row[0] for row in wh.query(
        "select price_id from intermediate.int_subscriptions__service_periods where price_id is not null "
        "group by price_id order by price_id limit 2"))
    with wh.connect() as conn:
        conn.execute("update raw_stripe.price set synced_at = ? where id = ?", [NEXT_SYNC + timedelta(hours=2), price_a])
        conn.execute("update raw_stripe.price set synced_at = ? where id = ?", [NEXT_SYNC + timedelta(hours=1), price_b])
    run_dbt(wh.env, *BUILD, "--select", "stg_stripe__prices", "int_subscriptions__service_periods")
    newest = wh.query("select max(synced_at) from intermediate.int_subscriptions__service_periods")[0][0]
    assert newest == NEXT_SYNC + timedelta(hours=2)
    b_rows = wh.query("select distinct synced_at from intermediate.int_subscriptions__service_periods "
                      f"where price_id = '{price_b}' and invoice_id not in (select invoice_id from "
                      f"intermediate.int_subscriptions__service_periods where price_id = '{price_a}')")
    assert [r[0] for r in b_rows] == [NEXT_SYNC + timedelta(hours=1)]


# PostgreSQL: the same day, landed the same way, built incrementally and compared with a full
# refresh of a copy of the database (CREATE DATABASE ... TEMPLATE), table by table.

def land_changes_pg(world, conn) -> dict[str, int]:
    """land_changes on PostgreSQL (payloads compared as parsed JSON)."""
    from psycopg2.extras import execute_values

    cur = conn.cursor()
    written: dict[str, int] = {}
    for (table, account), objects in world_objects(world).items():
        cur.execute(f"select id, payload::text from raw_stripe.{table}")
        held = {i: json.loads(p) for i, p in cur.fetchall()}
        rows = [(o["id"], account, o["created"], json.dumps(o)) for o in objects if held.get(o["id"]) != o]
        if not rows:
            continue
        cur.execute(f"delete from raw_stripe.{table} where id = any(%s)", ([r[0] for r in rows],))
        execute_values(cur, f"insert into raw_stripe.{table} (id, account, created, livemode, api_version, payload, "
                            "synced_at, source, is_deleted) values %s",
                       [(i, a, c, False, "2026-10-28.endive", p, NEXT_SYNC, "event", False) for i, a, c, p in rows])
        written[table] = written.get(table, 0) + len(rows)
    return written


def delete_and_trim_pg(conn) -> tuple[str, str]:
    cur = conn.cursor()
    cur.execute("select id from raw_stripe.customer order by id limit 1")
    customer = cur.fetchone()[0]
    cur.execute("update raw_stripe.customer set is_deleted = true, synced_at = %s where id = %s", (NEXT_SYNC, customer))
    cur.execute("select id, payload::text from raw_stripe.invoice "
                "where jsonb_array_length(payload -> 'lines' -> 'data') >= 2 order by id limit 1")
    invoice, payload = cur.fetchone()
    obj = json.loads(payload)
    obj["lines"]["data"] = obj["lines"]["data"][:-1]
    cur.execute("update raw_stripe.invoice set payload = %s, synced_at = %s where id = %s",
                (json.dumps(obj), NEXT_SYNC, invoice))
    return customer, invoice


def table_rows_pg(wh: PgWarehouse) -> dict[str, list[tuple]]:
    """{schema.table: sorted rows as text} for every table of the dbt layers (RUN_COLUMNS left out)."""
    conn = wh.connect()
    try:
        cur = conn.cursor()
        cur.execute("select table_schema, table_name from information_schema.tables where table_schema = any(%s) "
                    "and table_type = 'BASE TABLE' order by 1, 2", (list(LAYERS),))
        out = {}
        for schema, table in cur.fetchall():
            cur.execute("select column_name from information_schema.columns where table_schema = %s "
                        "and table_name = %s order by ordinal_position", (schema, table))
            cols = ", ".join(f'"{c}"' for c, in cur.fetchall() if c not in RUN_COLUMNS)
            cur.execute(f'select ({cols})::text from "{schema}"."{table}"')
            out[f"{schema}.{table}"] = sorted(r[0] for r in cur.fetchall())
        return out
    finally:
        conn.close()


@pytest.fixture(scope="module")
def advanced_pg(tmp_path_factory):
    """(incremental PostgreSQL warehouse after one more day, full-refresh copy)."""
    import psycopg2

    from pipelines.sandbox.advance import advance_world
    from pipelines.sandbox.generate import generate_world

    base = tmp_path_factory.mktemp("incremental_pg")
    world = base / "world.sqlite"
    generate_world(world, size="small", seed=42)
    wh = make_pg_warehouse("cb_t_incremental_day", base / "inc_target")
    conn = wh.connect()
    load_world_fast(world, conn, "postgres")
    conn.close()
    run_dbt(wh.env, *BUILD)
    advance_world(world, 1)
    conn = wh.connect()
    written = land_changes_pg(world, conn)
    load_world_ecb_rates(world, conn)
    delete_and_trim_pg(conn)
    conn.close()
    correct_old_objects(wh)
    assert written.get("charge", 0) > 0 and written.get("invoice", 0) > 0 and written.get("balance_transaction", 0) > 0
    run_dbt(wh.env, *BUILD)
    admin = psycopg2.connect(host="127.0.0.1", user="postgres", dbname="postgres")
    admin.autocommit = True
    admin.cursor().execute('DROP DATABASE IF EXISTS "cb_t_incremental_day_ref" WITH (FORCE)')
    admin.cursor().execute('CREATE DATABASE "cb_t_incremental_day_ref" TEMPLATE "cb_t_incremental_day"')
    admin.close()
    ref = PgWarehouse("cb_t_incremental_day_ref", base / "ref_target")
    run_dbt(ref.env, *BUILD, "--full-refresh")
    return wh, ref


def test_incremental_run_after_a_day_equals_a_full_refresh_on_postgres(advanced_pg):
    wh, ref = advanced_pg
    inc, full = table_rows_pg(wh), table_rows_pg(ref)
    assert len(inc) > 40 and inc.keys() == full.keys()
    assert [t for t in inc if inc[t] != full[t]] == []
