"""`records.payload_hash` is the number DuckDB's `md5_number_lower(payload)` gives, so rows hashed
where their payload is made (reader thread, parser process) land the same `payload_hash` as the
SQL that filled the column before; rows made without it get it from the landing."""
from __future__ import annotations

import duckdb
import orjson
import pytest

from pipelines.stripe.pages import parse_page
from pipelines.stripe.records import Row, payload_hash, to_row
from pipelines.warehouse.duckdb_landing import DuckDBLanding

TEXTS = ["", '{"id":"ch_1"}', '{"note":"caf\u00e9 \u2713 \U0001f600","amount":-1.5e20}']


def test_the_empty_payload_by_hand():
    # md5("") = d41d8cd98f00b204 e9800998ecf8427e; the last 8 bytes read little-endian
    assert payload_hash(b"") == 0x7E42F8EC980980E9 == 9_098_107_892_288_553_193


@pytest.mark.parametrize("text", TEXTS)
def test_equals_duckdbs_md5_number_lower(text):
    expected = duckdb.sql("SELECT md5_number_lower($1)", params=[text]).fetchall()[0][0]
    assert payload_hash(text.encode()) == expected


def test_both_row_builders_carry_the_hash_of_their_payload():
    obj = {"id": "ch_1", "object": "charge", "created": 5, "amount": 100, "amount_captured": 0,
           "amount_refunded": 0, "currency": "eur", "description": "caf\u00e9"}
    by_event = to_row("charge", obj, account=None, api_version="v", source="event", observed_at=7)
    page = parse_page(orjson.dumps({"object": "list", "data": [obj], "has_more": False}),
                      "charge", "charge", None, "v", 7)
    assert by_event.payload == page.rows[0].payload == orjson.dumps(obj)
    assert by_event.payload_hash == page.rows[0].payload_hash == payload_hash(orjson.dumps(obj))


def test_rows_with_and_without_the_hash_land_the_same_column(tmp_path):
    """Hand-made rows (str payload, no hash) land what the parser's rows (bytes, hashed) land."""
    rows = [Row("charge", f"ch_{i}", None, 100, False, "v", text, "list", False, 1)
            for i, text in enumerate(TEXTS)]
    hashed = [r._replace(payload=r.payload.encode(), payload_hash=payload_hash(r.payload.encode()))
              for r in rows]
    mixed = [rows[0], hashed[1], rows[2]]
    landed = {}
    for name, batch in (("without", rows), ("with", hashed), ("mixed", mixed)):
        landing = DuckDBLanding(tmp_path / f"{name}.duckdb")
        landing.ensure_schema()
        landing.write(batch, [], [], "r")
        landed[name] = landing.con.execute(
            "SELECT id, payload_hash, md5_number_lower(payload) FROM raw_stripe.charge "
            "ORDER BY id").fetchall()
        landing.close()
    assert landed["with"] == landed["without"] == landed["mixed"]
    assert [p for (p,) in duckdb.connect(str(tmp_path / "with.duckdb"), read_only=True).execute(
        "SELECT payload FROM raw_stripe.charge ORDER BY id").fetchall()] == TEXTS
    assert all(h == sql for _id, h, sql in landed["with"]) and len(landed["with"]) == 3
