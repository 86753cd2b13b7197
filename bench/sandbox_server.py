"""How fast the sandbox server streams list pages over loopback (target: >= 20,000 objects/s).

Reads every charge, balance transaction, invoice and subscription in pages of 100, rate limit off,
over several keep-alive connections at once, as ingestion does (its engine reads streams on 8
threads): each endpoint is cut into `created` windows of about equal counts (`created[gte]`,
`created[lt]`, which together cover every object exactly once) that a pool of client processes
reads, so the server, not one client's JSON parsing, sets the pace. The server runs in its own
process (as `cashbook sandbox serve` does); the clients parse every page with orjson (the last id
is the next page's `starting_after`). Server and client CPU are reported apart. Uses the
generated `small` world when the simulator is available (or `--world PATH`), else a synthetic
world of `--charges` charges.

    .venv/bin/python -m bench.sandbox_server [--world PATH] [--connections 8] [--charges 50000]
"""
from __future__ import annotations

import argparse
import http.client
import multiprocessing
import os
import resource
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator
from urllib.parse import urlencode, urlsplit

import orjson
import requests

from pipelines.sandbox import store
from pipelines.sandbox.testing import synthetic_objects, write_world

TARGET_OBJECTS_PER_SECOND = 20_000


def default_world(workdir: Path, charges: int) -> tuple[Path, str]:
    try:
        from pipelines.sandbox.generate import generate_world  # the simulator's world, when present
    except ImportError:
        generate_world = None
    if generate_world is not None:
        path = workdir / "small-42.sqlite"
        generate_world(path, size="small", seed=42)
        return path, "generated small world (seed 42)"
    path = write_world(workdir / "synthetic.sqlite", synthetic_objects(charges),
                       clock=1_790_000_000)
    return path, f"synthetic world ({charges} charges)"


def stream(base_url: str, api_key: str, path: str, extra: dict[str, str]) -> tuple[int, int, int]:
    """(objects, pages, bytes) of one full read of a list endpoint (or of one `created` window of
    it) on one keep-alive connection: plain http.client, so the client's own cost is the JSON
    parsing that every real reader pays, not a client library's."""
    where = urlsplit(base_url)
    conn = _connection(where.hostname, where.port)
    headers = {"Authorization": f"Bearer {api_key}"}
    objects = pages = size = 0
    params: dict[str, str | int] = {"limit": 100, **extra}
    while True:
        conn.request("GET", f"{path}?{urlencode(params)}", headers=headers)
        response = conn.getresponse()
        content = response.read()
        if response.status != 200:
            raise RuntimeError(f"GET {path} answered {response.status}: {content[:200]!r}")
        body = orjson.loads(content)
        objects += len(body["data"])
        pages += 1
        size += len(content)
        if not body["has_more"]:
            return objects, pages, size
        params = {"limit": 100, **extra, "starting_after": body["data"][-1]["id"]}


_CONNECTIONS: dict[tuple[str, int], http.client.HTTPConnection] = {}


def _connection(host: str, port: int) -> http.client.HTTPConnection:
    """One keep-alive connection per client process (and server address)."""
    conn = _CONNECTIONS.get((host, port))
    if conn is None:
        conn = _CONNECTIONS[(host, port)] = http.client.HTTPConnection(host, port, timeout=120)
    return conn


def _ready(_: int) -> int:
    return os.getpid()


def _read_window(job: tuple[str, str, str, dict[str, str]]) -> tuple[int, int, int]:
    return stream(*job)


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU of a process (Linux /proc), to tell server cost from machine load."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def server_process(world: Path) -> Iterator[tuple[str, str, int]]:
    """(base_url, api_key, pid) of `serve_forever` in a child process, rate limit off."""
    port = free_port()
    code = ("import sys; from pipelines.sandbox.server import serve_forever; "
            "serve_forever(sys.argv[1], port=int(sys.argv[2]), rate_limit=None)")
    child = subprocess.Popen([sys.executable, "-c", code, str(world), str(port)])
    conn = store.connect(world, readonly=True)
    api_key = store.get_meta(conn, "api_key") or ""
    conn.close()
    base_url = f"http://127.0.0.1:{port}"
    try:
        # ready when it answers a one-object list: /v1/balance sums every balance transaction,
        # which takes longer than a short timeout on a demo-sized world on a busy machine
        deadline = time.monotonic() + 180
        while True:
            try:
                requests.get(base_url + "/v1/charges", params={"limit": 1}, timeout=30,
                             headers={"Authorization": f"Bearer {api_key}"})
                break
            except (requests.ConnectionError, requests.Timeout):
                if child.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"the sandbox server on {world} did not answer within 180 s "
                                       f"(exit code {child.poll()})") from None
                time.sleep(0.05)
        yield base_url, api_key, child.pid
    finally:
        # SIGTERM first; a child that inherited an ignored SIGTERM (seen under pytest-xdist on a
        # loaded machine: the CI run failed here) is killed, so a finished measurement still counts
        child.terminate()
        try:
            child.wait(timeout=10)
        except subprocess.TimeoutExpired:
            child.kill()
            child.wait()


STREAMS = (("/v1/charges", {}), ("/v1/balance_transactions", {}),
           ("/v1/invoices", {}), ("/v1/subscriptions", {"status": "all"}))
STREAM_OBJECT = {"/v1/charges": "charge", "/v1/balance_transactions": "balance_transaction",
                 "/v1/invoices": "invoice", "/v1/subscriptions": "subscription"}
DEFAULT_CONNECTIONS = 8         # ingestion's engine reads on 8 threads (pipelines/stripe/engine.py)
WINDOWS_PER_CONNECTION = 4      # windows per endpoint = connections x this: the pool stays busy


def windows(world: Path, parts: int) -> list[tuple[str, dict[str, str]]]:
    """Each endpoint of STREAMS cut into up to `parts` `created` windows of about equal counts
    (platform objects, as the bench reads them). [gte, lt) windows cover every object once."""
    conn = store.connect(world, readonly=True)
    jobs = []
    try:
        for path, extra in STREAMS:
            name = STREAM_OBJECT[path]
            total = conn.execute("SELECT COUNT(*) FROM objects WHERE object = ? AND account = ''",
                                 (name,)).fetchone()[0]
            cuts = set()
            for i in range(1, parts):
                row = conn.execute(
                    "SELECT created FROM objects WHERE object = ? AND account = '' "
                    "ORDER BY created LIMIT 1 OFFSET ?", (name, total * i // parts)).fetchone()
                if row is not None:
                    cuts.add(row[0])
            bounds = sorted(cuts)
            if not bounds:
                jobs.append((path, dict(extra)))
                continue
            jobs.append((path, {**extra, "created[lt]": str(bounds[0])}))
            for lo, hi in zip(bounds, bounds[1:]):
                jobs.append((path, {**extra, "created[gte]": str(lo), "created[lt]": str(hi)}))
            jobs.append((path, {**extra, "created[gte]": str(bounds[-1])}))
    finally:
        conn.close()
    return jobs


def children_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def measure(world: Path, connections: int = DEFAULT_CONNECTIONS) -> dict:
    """Objects/s of reading the big list endpoints of `world` over loopback on `connections`
    keep-alive connections at once, with the server's and the clients' CPU so a busy machine's
    numbers can be read."""
    jobs = windows(world, max(1, connections * WINDOWS_PER_CONNECTION)) if connections > 1 \
        else [(path, dict(extra)) for path, extra in STREAMS]
    with server_process(world) as (base_url, api_key, pid):
        total_objects = total_pages = total_bytes = 0
        work = [(base_url, api_key, path, extra) for path, extra in jobs]
        client_cpu_before = children_cpu_seconds() + time.process_time()
        if connections > 1:
            # fork after the server answers; the timer starts once every client process is up
            pool = multiprocessing.get_context("fork").Pool(connections)
            try:
                pool.map(_ready, range(connections * 4), chunksize=1)
                cpu_before = cpu_seconds(pid)
                started = time.perf_counter()
                results = list(pool.imap_unordered(_read_window, work, chunksize=1))
                elapsed = time.perf_counter() - started
                cpu_after = cpu_seconds(pid)
            finally:
                pool.close()
                pool.join()
        else:
            cpu_before = cpu_seconds(pid)
            started = time.perf_counter()
            results = [_read_window(job) for job in work]
            elapsed = time.perf_counter() - started
            cpu_after = cpu_seconds(pid)
        client_cpu = children_cpu_seconds() + time.process_time() - client_cpu_before
        for objects, pages, size in results:
            total_objects += objects
            total_pages += pages
            total_bytes += size
    server_cpu = (cpu_after - cpu_before) if cpu_before is not None and cpu_after is not None else None
    return {
        "objects": total_objects, "pages": total_pages, "mb": round(total_bytes / 1e6, 1),
        "connections": connections, "windows": len(jobs),
        "seconds": round(elapsed, 3),
        "objects_per_s": round(total_objects / elapsed) if elapsed else None,
        "server_cpu_s": round(server_cpu, 2) if server_cpu is not None else None,
        "client_cpu_s": round(client_cpu, 2),
        "objects_per_server_cpu_s": round(total_objects / server_cpu) if server_cpu else None,
        "load": round(os.getloadavg()[0], 2),
        "target_objects_per_s": TARGET_OBJECTS_PER_SECOND,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--world", type=Path, help="an existing world file")
    parser.add_argument("--charges", type=int, default=50_000)
    parser.add_argument("--connections", type=int, default=DEFAULT_CONNECTIONS,
                        help="concurrent keep-alive connections (client processes); 1 = one plain reader")
    parser.add_argument("--json-out", help="also write the measurement as JSON here (bench.run)")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        if args.world:
            world, label = args.world, str(args.world)
        else:
            world, label = default_world(Path(tmp), args.charges)
        m = measure(world, args.connections)
    m["world"] = label
    if args.json_out:
        Path(args.json_out).write_text(orjson.dumps(m, option=orjson.OPT_INDENT_2).decode())
    rate = m["objects_per_s"] or 0
    print(f"sandbox server on {label}, {m['connections']} connection(s): {m['objects']} objects in {m['pages']} pages "
          f"({m['mb']:.1f} MB) in {m['seconds']:.2f} s = {rate:,.0f} objects/s "
          f"(target {TARGET_OBJECTS_PER_SECOND:,}): {'OK' if rate >= TARGET_OBJECTS_PER_SECOND else 'SLOW'}")
    if m["server_cpu_s"]:
        both = m["objects"] / (m["server_cpu_s"] + m["client_cpu_s"])
        print(f"server CPU {m['server_cpu_s']:.2f} s = {m['objects_per_server_cpu_s']:,.0f} objects per server "
              f"CPU second; client CPU {m['client_cpu_s']:.2f} s; both together "
              f"{both:,.0f} objects per CPU second "
              f"(the wall-clock rate drops when other jobs share the cores; load {m['load']:.1f})")
    return 0 if rate >= TARGET_OBJECTS_PER_SECOND else 1


if __name__ == "__main__":
    raise SystemExit(main())
