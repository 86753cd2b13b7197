"""Ingestion benchmark (issue 3 targets): full ingest objects/s and peak memory against the
sandbox with its rate limit off (server in its own process), an incremental run after
`advance --days 1` (time and API calls vs the full run, target <= 5%), and processing alone:
recorded list pages replayed through parse + validate + land (target >= 50,000 objects/s).

    .venv/bin/python -m bench.ingest [--size large] [--seed 42] [--replay-pages 400]
    .venv/bin/python -m bench.ingest --replay-only --size demo [--pages-file F] [--repeat 3]

Prints a table and writes bench/results/ingest-<size>.json. `--replay-only` skips the full and
incremental runs: it records the pages (or reads them from `--pages-file`, written on the first
run) and replays them `--repeat` times, printing each run (nothing written under results/).
"""
from __future__ import annotations

import argparse
import json
import resource
import shutil
import tempfile
import time
from pathlib import Path

from bench.common import copy_world, fresh_warehouse
from bench.sandbox_server import cpu_seconds, server_process
from pipelines.catalog import BY_TABLE
from pipelines.sandbox.advance import advance_world
from pipelines.sandbox.cli import world_path
from pipelines.sandbox.generate import generate_world
from pipelines.stripe.client import Response, StripeApi
from pipelines.stripe.engine import SyncOptions, SyncResult, _Run, _young_garbage_only, run_sync
from pipelines.stripe.readers import StreamTask
from pipelines.stripe.state import plan_pass
from pipelines.warehouse.duckdb_landing import DuckDBLanding

RESULTS = Path(__file__).resolve().parent / "results"
TARGETS = {"full_objects_per_s": 10_000, "replay_objects_per_s": 50_000,
           "peak_rss_mb": 1024, "incremental_call_share": 0.05}


class RecordingApi:
    """Wraps StripeApi and keeps the raw answers of one stream's pages for the replay."""

    def __init__(self, api: StripeApi, limit_pages: int):
        self.api, self.limit, self.pages = api, limit_pages, {}
        self.calls, self.retries = api.calls, api.retries

    def get(self, path, params=None, account=None, *, label="other", decode=None):
        raw = {}

        def keep(body, server_time):
            raw["body"] = body
            return decode(body, server_time) if decode else self._json(body)

        resp = self.api.get(path, params, account, label=label, decode=keep)
        key = (path, account, (params or {}).get("starting_after"))
        if len(self.pages) < self.limit:
            self.pages[key] = (raw["body"], resp.server_time)
        return resp

    @staticmethod
    def _json(body):
        import orjson
        data = orjson.loads(body)
        if not isinstance(data, dict):
            raise ValueError("the answer is not a JSON object")
        return data


class ReplayApi:
    """Answers recorded pages from memory: the engine's processing without the network."""

    def __init__(self, pages):
        from collections import Counter
        self.pages, self.calls, self.retries = pages, Counter(), Counter()

    def get(self, path, params=None, account=None, *, label="other", decode=None):
        key = (path, account, (params or {}).get("starting_after"))
        body, server_time = self.pages.get(key, (b'{"object":"list","data":[],"has_more":false}', None))
        self.calls[label] += 1
        # what StripeApi.get does with a 200 answer's body
        data = decode(body, server_time) if decode else RecordingApi._json(body)
        return Response(200, data, server_time)


def cpu_now() -> float:
    """CPU seconds of this process and of its children that have ended (the engine's page parser
    process is waited for at the end of each run; a running sandbox server is not counted)."""
    return sum(cpu_split())


def cpu_split() -> tuple[float, float]:
    """(this process's CPU seconds, its ended children's): the writer's process is the replay's
    critical path, so its share is reported apart from the parser process's."""
    r, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime, c.ru_utime + c.ru_stime


def replay(pages, table: str, workdir: Path, parse_process: bool = True,
           split: dict | None = None) -> tuple[int, float, float]:
    """(objects, wall seconds, CPU seconds); `split` gets the CPU of this process ("self") and of
    the parser process ("children")."""
    import pandas  # noqa: F401  DuckDB imports it on the first Arrow register: keep that out of the timing
    landing = DuckDBLanding(workdir / "replay.duckdb")
    landing.ensure_schema()
    api = ReplayApi(pages)
    result = SyncResult(run_id="replay", server_time=int(time.time()))
    run = _Run(api, landing, SyncOptions(parse_process=parse_process), result)
    plan = plan_pass(None, table, "", now=result.server_time)
    from concurrent.futures import ThreadPoolExecutor
    began, (own, children) = time.perf_counter(), cpu_split()
    with _young_garbage_only(), ThreadPoolExecutor(max_workers=2) as pool:
        run.run_phase([StreamTask(BY_TABLE[table], None, plan)], pool)
        run.close()
        landing.close()          # the final checkpoint is part of landing
    seconds = time.perf_counter() - began
    own_after, children_after = cpu_split()
    own, children = own_after - own, children_after - children
    cpu = own + children
    if split is not None:
        split.update(self=own, children=children)
    return result.tables[table].received, seconds, cpu


def record(api_key: str, base_url: str, table: str, pages: int, work: Path) -> dict:
    """The raw answers of the first `pages` pages of one platform stream."""
    rec = RecordingApi(StripeApi(api_key, base_url), pages)
    result = SyncResult(run_id="record", server_time=int(time.time()))
    scratch = DuckDBLanding(work / "record.duckdb")
    scratch.ensure_schema()
    run = _Run(rec, scratch, SyncOptions(), result)
    from concurrent.futures import ThreadPoolExecutor
    with ThreadPoolExecutor(max_workers=2) as pool:
        run.run_phase([StreamTask(BY_TABLE[table], None,
                                  plan_pass(None, table, "", now=result.server_time))], pool)
    run.close()
    scratch.close()
    return rec.pages


def replay_only(args) -> int:
    import os
    import pickle
    pages_file = Path(args.pages_file or f"/tmp/bench-replay-{args.size}-{args.seed}-"
                      f"{args.replay_table}-{args.replay_pages}.pickle")
    work = Path(tempfile.mkdtemp(prefix="bench-replay-"))
    try:
        if pages_file.exists():
            pages = pickle.loads(pages_file.read_bytes())
        else:
            source = world_path(args.size, args.seed)
            world = copy_world(source, work / "world.sqlite")
            with server_process(world) as (base_url, api_key, _pid):
                pages = record(api_key, base_url, args.replay_table, args.replay_pages, work)
            world.unlink()
            pages_file.write_bytes(pickle.dumps(pages))
        size = sum(len(b) for b, _ in pages.values())
        print(f"{len(pages)} recorded {args.replay_table} pages, {size / 1e6:.1f} MB ({pages_file})")
        for i in range(args.repeat):
            run_dir = work / f"run{i}"
            run_dir.mkdir()
            load = os.getloadavg()[0]
            split: dict = {}
            n, seconds, cpu = replay(pages, args.replay_table, run_dir, bool(args.parse_process),
                                     split)
            print(f"replay {i + 1}: {n} objects, {seconds:.2f} s wall, {cpu:.2f} s CPU: "
                  f"{n / seconds:,.0f} obj/s, {n / cpu:,.0f} obj per CPU s; CPU per object "
                  f"{split['self'] / n * 1e6:.1f} us in the writer's process, "
                  f"{split['children'] / n * 1e6:.1f} us in the parser's (load {load:.1f})",
                  flush=True)
            shutil.rmtree(run_dir, ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--size", default="large")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--replay-pages", type=int, default=400)
    ap.add_argument("--replay-table", default="charge")
    ap.add_argument("--replay-only", action="store_true",
                    help="only the replay of recorded pages (processing alone)")
    ap.add_argument("--pages-file", help="with --replay-only: recorded pages to reuse (pickle)")
    ap.add_argument("--repeat", type=int, default=3, help="with --replay-only: replays to run")
    ap.add_argument("--parse-process", type=int, choices=(0, 1), default=1,
                    help="with --replay-only: SyncOptions.parse_process (0: parse in the reader thread)")
    args = ap.parse_args(argv)
    if args.replay_only:
        return replay_only(args)

    source = world_path(args.size, args.seed)
    if not source.exists():
        print(f"generating the {args.size} world at {source} ...", flush=True)
        generate_world(source, size=args.size, seed=args.seed)
    work = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    try:
        world = work / "world.sqlite"
        copy_world(source, world)
        url = fresh_warehouse("duckdb", work, "")
        from pipelines.warehouse.connect import open_landing
        with server_process(world) as (base_url, api_key, pid):
            api = StripeApi(api_key, base_url)
            began, cpu, server_cpu = time.perf_counter(), cpu_now(), cpu_seconds(pid)
            full = run_sync(api, lambda: open_landing(url))
            full_s, full_cpu = time.perf_counter() - began, cpu_now() - cpu
            server_cpu = (cpu_seconds(pid) or 0) - (server_cpu or 0)
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        objects = sum(s.received for s in full.tables.values())
        advance_world(world, 1)
        with server_process(world) as (base_url, api_key, _pid):
            api = StripeApi(api_key, base_url)
            began = time.perf_counter()
            inc = run_sync(api, lambda: open_landing(url))
            inc_s = time.perf_counter() - began
            # record pages of one big stream for the processing-only replay
            pages = record(api_key, base_url, args.replay_table, args.replay_pages, work)
        replayed, replay_s, replay_cpu = replay(pages, args.replay_table, work)
        report = {
            "size": args.size, "seed": args.seed,
            "full_objects": objects, "full_seconds": round(full_s, 2),
            "full_objects_per_s": round(objects / full_s), "full_api_calls": full.api_calls,
            # CPU beside wall time: on a shared machine objects per CPU second is the idle rate
            "full_ingest_cpu_s": round(full_cpu, 1), "full_server_cpu_s": round(server_cpu, 1),
            "full_objects_per_ingest_cpu_s": round(objects / full_cpu) if full_cpu else None,
            "peak_rss_mb": round(peak_mb),
            "incremental_seconds": round(inc_s, 2), "incremental_api_calls": inc.api_calls,
            "incremental_accounts_read": f"{inc.accounts_synced}/{inc.accounts_total}",
            "incremental_call_share": round(inc.api_calls / max(full.api_calls, 1), 4),
            "replay_table": args.replay_table, "replay_objects": replayed,
            "replay_objects_per_s": round(replayed / replay_s) if replay_s else None,
            "replay_cpu_s": round(replay_cpu, 2),
            "replay_objects_per_cpu_s": round(replayed / replay_cpu) if replay_cpu else None,
            "targets": TARGETS,
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / f"ingest-{args.size}.json"
    out.write_text(json.dumps(report, indent=2))
    width = max(len(k) for k in report)
    for k, v in report.items():
        if k != "targets":
            target = TARGETS.get(k)
            print(f"{k:{width}}  {v}" + (f"   (target {target})" if target is not None else ""))
    print(f"-> {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
