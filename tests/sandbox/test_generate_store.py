"""How a world is written and read fast, without changing what it holds: the generated file has
its page size, indexes and journal, payloads stored as JSON text; the server's own request-head
parser answers like the standard one. No timing is asserted (speed is measured by `make bench`)."""
from __future__ import annotations

import socket
import sqlite3

import orjson
import pytest

from pipelines.sandbox import store
from pipelines.sandbox.generate import generate_world
from pipelines.sandbox.testing import TEST_API_KEY, running_sandbox, write_world

TABLES = {
    "objects": "SELECT seq, id, object, account, created, parent, type, payload FROM objects ORDER BY seq",
    "tax_profiles": "SELECT * FROM tax_profiles ORDER BY account",
    "fx_rates": "SELECT * FROM fx_rates ORDER BY day, currency",
    "fraud_labels": "SELECT * FROM fraud_labels ORDER BY id",
    "balances": "SELECT * FROM balances ORDER BY account, currency",
    "meta": "SELECT * FROM meta ORDER BY key",
}


def contents(path) -> dict[str, list]:
    conn = sqlite3.connect(path)
    try:
        return {name: conn.execute(query).fetchall() for name, query in TABLES.items()}
    finally:
        conn.close()


def test_generated_file_pages_indexes_and_journal(tmp_path):
    path = tmp_path / "tiny.sqlite"
    generate_world(path, size="tiny", seed=3)
    assert not (tmp_path / "tiny.sqlite.building").exists()
    conn = sqlite3.connect(path)
    try:
        assert conn.execute("PRAGMA page_size").fetchone()[0] == store.PAGE_SIZE
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")}
        assert {"objects_list", "objects_parent"} <= indexes
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        # every payload is TEXT holding valid JSON (written from bytes with CAST)
        kinds = {r[0] for r in conn.execute("SELECT DISTINCT typeof(payload) FROM objects")}
        assert kinds == {"text"}
        orjson.loads(conn.execute("SELECT payload FROM objects ORDER BY seq DESC LIMIT 1").fetchone()[0])
    finally:
        conn.close()


# --- the server's request-head parser ------------------------------------------------------

@pytest.fixture(scope="module")
def tiny_server(tmp_path_factory):
    path = write_world(tmp_path_factory.mktemp("heads") / "w.sqlite",
                       [{"id": "ch_1", "object": "charge", "created": 100, "amount": 5}], clock=1000)
    with running_sandbox(path) as running:
        yield running


def exchange(running, request: bytes, *, reads: int = 1) -> list[bytes]:
    """Send raw bytes, return what the server answered (until it closes or `reads` answers)."""
    with socket.create_connection(("127.0.0.1", running.port), timeout=10) as sock:
        sock.sendall(request)
        data = b""
        while data.count(b"HTTP/1.") < reads or not data.endswith(b"}"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
        sock.settimeout(0.5)
        try:
            closed = sock.recv(1) == b""
        except TimeoutError:
            closed = False
    return [data, b"closed" if closed else b"open"]


def test_header_names_in_any_case_and_keep_alive(tiny_server):
    request = (b"GET /v1/charges HTTP/1.1\r\nHost: x\r\nauthorization: Bearer " + TEST_API_KEY.encode()
               + b"\r\n\r\n")
    data, state = exchange(tiny_server, request * 2, reads=2)
    assert data.count(b"HTTP/1.1 200 OK") == 2 and data.count(b'"id":"ch_1"') == 2
    assert state == b"open"  # HTTP/1.1 keeps the connection


def test_connection_close_and_http_1_0(tiny_server):
    auth = b"AUTHORIZATION: Bearer " + TEST_API_KEY.encode() + b"\r\n"
    data, state = exchange(tiny_server, b"GET /v1/charges HTTP/1.1\r\nConnection: close\r\n" + auth + b"\r\n")
    assert data.startswith(b"HTTP/1.1 200") and state == b"closed"
    data, state = exchange(tiny_server, b"GET /v1/charges HTTP/1.0\r\n" + auth + b"\r\n")
    assert data.startswith(b"HTTP/1.1 200") and state == b"closed"


def test_bad_header_line_and_bad_request_line(tiny_server):
    data, _ = exchange(tiny_server, b"GET /v1/charges HTTP/1.1\r\nno colon here\r\n\r\n")
    assert data.startswith(b"HTTP/1.1 400")
    # anything but HTTP/1.x goes to the standard parser, which refuses it as before
    data, _ = exchange(tiny_server, b"GET /v1/charges HTTP/2.0\r\n\r\n")
    assert b"505" in data
    data, _ = exchange(tiny_server, b"GET /v1/charges HTTP/1.1\r\n\r\n")  # no key: Stripe's 401
    assert data.startswith(b"HTTP/1.1 401") and b"You did not provide an API key" in data


def test_only_the_standalone_server_maps_the_world(tiny_server, tmp_path):
    """mmap'd pages count in the host process's RSS once per connection: a server inside another
    process (tests, make demo) reads without it; `cashbook sandbox serve` (serve_forever) maps."""
    from pipelines.sandbox.server import SERVE_MMAP_BYTES, World

    embedded = tiny_server._server.world.pool.get()
    try:
        assert embedded.execute("PRAGMA mmap_size").fetchone()[0] == 0
    finally:
        tiny_server._server.world.pool.put(embedded)
    standalone = World(tiny_server.world_path, mmap_bytes=SERVE_MMAP_BYTES)
    try:
        conn = standalone.pool.get()
        assert conn.execute("PRAGMA mmap_size").fetchone()[0] == SERVE_MMAP_BYTES
        standalone.pool.put(conn)
    finally:
        standalone.close()


def test_few_collections_restores_the_collector():
    import gc

    from pipelines.sandbox.generate import GC_YOUNG_THRESHOLD, few_collections

    before = gc.get_threshold()
    with few_collections():
        assert gc.get_threshold()[0] == GC_YOUNG_THRESHOLD and gc.get_freeze_count() > 0
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0
    with pytest.raises(ValueError), few_collections():
        raise ValueError("generation failed")
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0
