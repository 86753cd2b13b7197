"""`make bench`: every speed and memory target of issues 2, 3, 4 and 9, measured, never asserted.

    .venv/bin/python -m bench.run [--sizes demo,large] [--stages gen,serve,ingest,dbt]
                                  [--warehouse duckdb,postgres] [--quick]

Default: the `demo` world on DuckDB (about 15 minutes on an idle machine); `--sizes large` for
the sizes the targets are written for. Each stage runs in its own process (bench.common) so
its peak memory is its own; wall time is printed beside CPU time and the load average, because
a shared machine stretches wall time without costing CPU. Prints one table with each target
and PASS/MISS, and writes bench/results/<UTC timestamp>.json and bench/results/latest.json.

Stages: gen (bench.sandbox_gen), serve (bench.sandbox_server), ingest (bench.ingest: full,
incremental after one day, replay), dbt (bench.dbt_build: full and after one day, per
warehouse), pipeline (opt-in: `make demo`'s whole run on a copy of the world, issue 9).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

from bench.common import DEFAULT_RESULTS, StageRun, Verdict, copy_world, fresh_warehouse, pg_admin, run_stage
from bench.pipeline_stages import (SAMPLE_EVERY_S, TreeSampler, attribute, format_stage_table,
                                   read_step_windows, step_stage_map)
from bench.sandbox_server import server_process

STAGES = ("gen", "serve", "ingest", "dbt", "pipeline")
DEFAULT_STAGES = ("gen", "serve", "ingest", "dbt")
# issue 2: world generation, seconds (the brief sets these two sizes only)
GEN_LIMIT_S = {"demo": 120, "large": 600}
SERVE_MIN_OBJ_S = 20_000
INGEST_MIN_OBJ_S = 10_000
REPLAY_MIN_OBJ_S = 50_000
INGEST_MAX_RSS_MB = 1024
INCREMENTAL_MAX_CALL_SHARE = 0.05
DBT_FULL_MAX_S = 180           # written for large on DuckDB
DBT_INCREMENTAL_MAX_S = 20
PIPELINE_MAX_S = 30 * 60       # issue 9, large on DuckDB
PIPELINE_MAX_RSS_MB = 2048
PIPELINE_DAY_MAX_S = 120


def _csv(value: str, allowed: tuple[str, ...] | None = None) -> list[str]:
    items = [v.strip() for v in value.split(",") if v.strip()]
    if allowed:
        unknown = [v for v in items if v not in allowed]
        if unknown:
            raise argparse.ArgumentTypeError(f"unknown {', '.join(unknown)}; choose from {', '.join(allowed)}")
    return items


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", type=_csv, default=["demo"], help="comma list: tiny,small,demo,large")
    ap.add_argument("--stages", type=lambda v: _csv(v, STAGES), default=list(DEFAULT_STAGES),
                    help=f"comma list of {','.join(STAGES)} (pipeline is opt-in)")
    ap.add_argument("--warehouse", type=lambda v: _csv(v, ("duckdb", "postgres")), default=["duckdb"])
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--quick", action="store_true",
                    help="small replay sample (20 pages) and dbt seeds + staging only: a smoke run")
    ap.add_argument("--force-gen", action="store_true", help="regenerate cached worlds to time them")
    ap.add_argument("--results-dir", type=Path, default=DEFAULT_RESULTS)
    return ap.parse_args(argv)


# --- stages -------------------------------------------------------------------------------

def stage_gen(size: str, args) -> tuple[StageRun, list[Verdict]]:
    extra = ["--force"] if args.force_gen else []
    run = run_stage("gen", "bench.sandbox_gen", ["--size", size, "--seed", str(args.seed), *extra])
    out = run.output
    verdicts = []
    if size in GEN_LIMIT_S:
        note = "cached world: time from when it was generated" if out.get("cached") else ""
        if out.get("cached") and "seconds" not in out:
            note = "cached world without a saved measurement: --force-gen to time it"
        verdicts.append(Verdict(size, "generate world (s)", out.get("seconds"), GEN_LIMIT_S[size], "s",
                                False, note))
    return run, verdicts


def stage_serve(size: str, world: Path, args) -> tuple[StageRun, list[Verdict]]:
    run = run_stage("serve", "bench.sandbox_server", ["--world", str(world)])
    out = run.output
    cpu = (f"{out.get('connections')} connections; server CPU {out.get('server_cpu_s')} s "
           f"({out.get('objects_per_server_cpu_s')} obj per server CPU s), client CPU {out.get('client_cpu_s')} s")
    return run, [Verdict(size, "server streaming (obj/s)", out.get("objects_per_s"), SERVE_MIN_OBJ_S,
                         "obj/s", True, cpu)]


def stage_ingest(size: str, args) -> tuple[StageRun, list[Verdict]]:
    from bench.ingest import RESULTS as INGEST_RESULTS

    pages = "20" if args.quick else "400"
    run = run_stage("ingest", "bench.ingest", ["--size", size, "--seed", str(args.seed), "--replay-pages", pages],
                    json_out=INGEST_RESULTS / f"ingest-{size}.json")
    out = run.output
    share = out.get("incremental_call_share")
    calls = f"{out.get('incremental_api_calls')} of {out.get('full_api_calls')} calls, " \
            f"{out.get('incremental_seconds')} s" if out else ""
    return run, [
        Verdict(size, "full ingest (obj/s)", out.get("full_objects_per_s"), INGEST_MIN_OBJ_S, "obj/s", True,
                f"{out.get('full_objects')} objects in {out.get('full_seconds')} s; stage CPU {run.cpu_s} s "
                f"(ingest + server); ingest CPU {out.get('full_ingest_cpu_s')} s "
                f"({out.get('full_objects_per_ingest_cpu_s')} obj per ingest CPU s), "
                f"server CPU {out.get('full_server_cpu_s')} s"),
        Verdict(size, "full ingest peak RSS (MB)", out.get("peak_rss_mb"), INGEST_MAX_RSS_MB, "MB", False,
                "the ingesting process alone"),
        Verdict(size, "replay, processing only (obj/s)", out.get("replay_objects_per_s"), REPLAY_MIN_OBJ_S,
                "obj/s", True, f"{out.get('replay_objects')} {out.get('replay_table')} objects; "
                f"CPU {out.get('replay_cpu_s')} s ({out.get('replay_objects_per_cpu_s')} obj per CPU s, "
                "DuckDB's threads included)"),
        Verdict(size, "incremental after 1 day: call share", share, INCREMENTAL_MAX_CALL_SHARE, "", False, calls),
    ]


def stage_dbt(size: str, warehouse: str, args) -> tuple[StageRun, list[Verdict]]:
    extra = ["--select", "+staging"] if args.quick else []  # seeds and staging models
    run = run_stage(f"dbt-{warehouse}", "bench.dbt_build",
                    ["--size", size, "--seed", str(args.seed), "--warehouse", warehouse, *extra])
    out = run.output
    verdicts = []
    for step, limit, label in (("full", DBT_FULL_MAX_S, "dbt build full (s)"),
                               ("incremental", DBT_INCREMENTAL_MAX_S, "dbt build after 1 day (s)")):
        m = out.get(step) or {}
        note = f"CPU {m.get('cpu_s')} s, dbt peak {m.get('peak_rss_mb')} MB, nodes {m.get('nodes')}" if m \
            else "stage failed"
        if m and m.get("returncode"):
            note += f", dbt exit {m['returncode']}"
        if size != "large":
            note += "; limit written for large"
        if args.quick:
            note += "; --quick: staging only"
        seconds = m.get("seconds") if m and not m.get("returncode") else None
        if warehouse == "postgres":  # reported beside DuckDB, no target of its own
            verdicts.append(Verdict(size, f"{label} [postgres]", seconds, None, "s", False, note))
        else:
            verdicts.append(Verdict(size, f"{label} [duckdb]", seconds, limit, "s", False, note))
    return run, verdicts


def stage_pipeline(size: str, world: Path, warehouse: str, args) -> list[tuple[StageRun, list[Verdict]]]:
    """`make demo`'s whole run (ingest, FX, dbt, models, periodic outputs, a payout cycle) on a
    private copy of the world, warehouse, Dagster home and output folder, so nothing of the
    developer's moves; then the world advances one day and the `daily_close` job for that day is
    the incremental day (`pipelines.demo --daily-close`). The sandbox serves the copy from a
    process of its own, outside the measured tree: it stands in for Stripe, which is not part of
    the pipeline's memory. Each run is split into stages from its Dagster event log
    (bench.pipeline_stages). PostgreSQL: a throw-away database, dropped at the end."""
    from pipelines.sandbox.advance import advance_world

    work = Path(tempfile.mkdtemp(prefix="bench-pipeline-"))
    dbname = f"cashbook_bench_pipeline_{size}_{os.getpid()}"
    suffix = "" if warehouse == "duckdb" else "-pg"
    full = day = None
    try:
        copy = work / "sandbox" / world.name
        copy.parent.mkdir()
        copy_world(world, copy)
        url = fresh_warehouse(warehouse, work, dbname)
        home = work / "dagster_home"
        env = {"CASHBOOK_DEMO_SIZE": size, "CASHBOOK_DEMO_SEED": str(args.seed),
               "CASHBOOK_SANDBOX_DIR": str(copy.parent), "DAGSTER_HOME": str(home),
               "CASHBOOK_OUTPUT_DIR": str(work / "output"), "WAREHOUSE_URL": url}
        log = args.results_dir / f"pipeline-{size}-{warehouse}.log"
        args.results_dir.mkdir(parents=True, exist_ok=True)
        log.unlink(missing_ok=True)
        print(f"  pipeline on {size}/{warehouse}: Dagster's output goes to {log}", flush=True)
        with server_process(copy) as (base_url, _key, _pid):
            env["CASHBOOK_SANDBOX_API_BASE"] = base_url
            full, read = _pipeline_run(f"pipeline{suffix}", env, log, home, set())
            if full.returncode == 0:
                advance_world(copy, 1)
                day, _ = _pipeline_run(f"pipeline{suffix}-day", env, log, home, read,
                                       ["--daily-close"])
    finally:
        tools_log = work / "output" / "demo.log"   # dbt's and Dagster's own lines: kept for a failure
        if tools_log.exists():
            shutil.copyfile(tools_log, args.results_dir / f"pipeline-{size}-{warehouse}.tools.log")
        shutil.rmtree(work, ignore_errors=True)
        if warehouse == "postgres":
            try:
                pg_admin(f'DROP DATABASE IF EXISTS "{dbname}"')
            except Exception as exc:  # noqa: BLE001  the numbers are taken; say what is left behind
                print(f"  could not drop {dbname}: {type(exc).__name__}: {exc}", file=sys.stderr)
    ok = full.returncode == 0
    tag, target = (" [duckdb]", PIPELINE_MAX_S) if warehouse == "duckdb" else (" [postgres]", None)
    # the target is the whole pipeline's: the day's run counts too
    trees = [r.output.get("tree_peak_mb") for r in (full, day) if r is not None and r.returncode == 0]
    tree = max(trees) if trees and None not in trees else None
    peak = tree if tree is not None else full.peak_rss_mb
    rss_sum = max((r.output.get("tree_peak_rss_sum_mb") or 0 for r in (full, day) if r is not None), default=0)
    out = [(full, [
        Verdict(size, f"whole pipeline (s){tag}", full.wall_s if ok else None, target, "s", False,
                f"CPU {full.cpu_s} s, exit {full.returncode}; "
                + ("limit written for large; " if warehouse == "duckdb" else "beside DuckDB, no target; ")
                + f"logs {log.name}, pipeline-{size}-{warehouse}.tools.log"),
        Verdict(size, f"whole pipeline peak RSS (MB){tag}", peak if ok else None,
                PIPELINE_MAX_RSS_MB if warehouse == "duckdb" else None, "MB", False,
                f"PSS summed over the process tree (a shared page once), sampled every {SAMPLE_EVERY_S} s, "
                f"full run and day; VmRSS summed: {rss_sum} MB; largest single process {full.peak_rss_mb} MB"
                if tree is not None
                else "largest single process of the run"),
    ])]
    if day is not None:
        out.append((day, [Verdict(size, f"whole pipeline, one more day (s){tag}",
                                  day.wall_s if day.returncode == 0 else None,
                                  PIPELINE_DAY_MAX_S if warehouse == "duckdb" else None, "s", False,
                                  f"CPU {day.cpu_s} s, exit {day.returncode}; the daily_close job "
                                  "after advance --days 1 (ingest, dbt, scores, the day's payout plan)")]))
    return out


def _pipeline_run(stage: str, env: dict, log: Path, home: Path,
                  skip_runs: set[str], demo_args: list[str] | None = None) -> tuple[StageRun, set[str]]:
    """One `python -m pipelines.demo` with its process tree sampled; its output gets the
    per-stage table of the Dagster runs it made (those not in `skip_runs`)."""
    sampler = TreeSampler()
    began = time.time()
    run = run_stage(stage, "pipelines.demo", demo_args or [], env=env, reports_json=False, log=log, on_start=sampler.start)
    ended = time.time()
    samples = sampler.stop()
    run.output = {"tree_peak_mb": round(max(mb for _, mb, _ in samples), 1) if samples else None,
                  "tree_peak_rss_sum_mb": round(sampler.rss_sum_peak_mb, 1),
                  "tree_cpu_s": round(sum(cpu for _, _, cpu in samples), 2),
                  "tree_peak_processes": sampler.peak_processes,
                  "samples": len(samples), "sample_every_s": SAMPLE_EVERY_S}
    read: set[str] = set()
    try:
        windows, read = read_step_windows(home, _step_stages(), skip_runs)
        run.output["dagster_runs"] = len(read)
        run.output["stages"] = attribute(windows, samples, began, ended)
        run.output["unmapped_steps"] = sorted({w.step_key for w in windows if w.stage == "other"})
    except Exception as exc:  # noqa: BLE001  the totals stand; say why the split is missing
        run.output["stages_error"] = f"{type(exc).__name__}: {exc}"
    return run, read | skip_runs


_STEP_STAGES: dict[str, str] = {}


def _step_stages() -> dict[str, str]:
    """Loaded once, after the first run: the definitions import dagster, dbt and pandas."""
    if not _STEP_STAGES:
        from pipelines.definitions import defs

        _STEP_STAGES.update(step_stage_map(defs))
    return _STEP_STAGES


# --- driver -------------------------------------------------------------------------------

def format_table(verdicts: list[Verdict], runs: list[dict]) -> str:
    lines = [f"{'size':6} {'target':44} {'measured':>12} {'limit':>10} {'':6} note"]
    for v in verdicts:
        measured = "-" if v.measured is None else f"{v.measured:,}"
        limit = "-" if v.target is None else ("<= " if not v.higher_is_better else ">= ") + f"{v.target:,}"
        lines.append(f"{v.size:6} {v.name:44} {measured:>12} {limit:>10} {v.status:6} {v.note}")
    lines.append("")
    lines.append(f"{'size':6} {'stage':14} {'wall s':>9} {'CPU s':>9} {'peak MB':>9} {'load':>11}  exit")
    for r in runs:
        lines.append(f"{r['size']:6} {r['stage']:14} {r['wall_s']:>9} {r['cpu_s']:>9} {r['peak_rss_mb']:>9} "
                     f"{r['load_before']:>5}->{r['load_after']:<5}  {r['returncode']}")
    for r in runs:
        stages = (r.get("output") or {}).get("stages")
        if stages:
            lines += ["", f"{r['size']}/{r['stage']} by stage (Dagster's step time; the process tree's "
                          "CPU and peak RSS, sampled):",
                      *format_stage_table(stages)]
            top = r["output"].get("tree_peak_processes") or []
            if top:
                lines.append(f"    at the tree's peak ({r['output'].get('tree_peak_mb')} MB): "
                             + "; ".join(f"{p['rss_mb']} MB (anon {p.get('anon_mb', '?')}, file {p.get('file_mb', '?')}) "
                                        f"{p['command'][:60]}" for p in top[:3]))
            if r["output"].get("unmapped_steps"):
                lines.append(f"    other: {', '.join(r['output']['unmapped_steps'])}")
        elif (r.get("output") or {}).get("stages_error"):
            lines += ["", f"{r['size']}/{r['stage']}: no split by stage ({r['output']['stages_error']})"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from pipelines.sandbox.cli import world_path

    started = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
    verdicts: list[Verdict] = []
    runs: list[dict] = []
    notes: list[str] = []
    failed: list[str] = []
    load_start = os.getloadavg()

    args.results_dir.mkdir(parents=True, exist_ok=True)
    out = args.results_dir / f"{started}.json"

    def save(complete: bool) -> None:
        """Rewritten after every stage, so an interrupted run keeps what it measured."""
        report = {
            "started_at": started, "finished_at": time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()),
            "complete": complete, "argv": sys.argv[1:] if argv is None else list(argv),
            "machine": {"cpus": os.cpu_count(), "loadavg_start": load_start, "loadavg_now": os.getloadavg()},
            "sizes": args.sizes, "stages": args.stages, "warehouses": args.warehouse, "quick": args.quick,
            "verdicts": [v.to_dict() for v in verdicts], "runs": runs, "notes": notes, "failed": failed,
        }
        out.write_text(json.dumps(report, indent=2, default=str))
        shutil.copyfile(out, args.results_dir / "latest.json")

    def record(size: str, run: StageRun, vs: list[Verdict], ok_codes=(0,)) -> None:
        runs.append({"size": size, **run.to_dict()})
        verdicts.extend(vs)
        if run.returncode not in ok_codes:
            failed.append(f"{size}/{run.stage} (exit {run.returncode})")
        print(f"  {size}/{run.stage}: {run.wall_s} s wall, {run.cpu_s} s CPU, peak {run.peak_rss_mb} MB, "
              f"exit {run.returncode}", flush=True)
        if run.output.get("stages"):
            print("\n".join(format_stage_table(run.output["stages"])), flush=True)
        save(complete=False)

    for size in args.sizes:
        world = world_path(size, args.seed)
        print(f"== {size} (world {world})", flush=True)
        if "gen" in args.stages or not world.exists():
            record(size, *stage_gen(size, args))
        if not world.exists():
            notes.append(f"{size}: no world, later stages skipped")
            continue
        if "serve" in args.stages:
            record(size, *stage_serve(size, world, args), ok_codes=(0, 1))  # 1 = below target
        if "ingest" in args.stages:
            record(size, *stage_ingest(size, args))
        if "dbt" in args.stages:
            for warehouse in args.warehouse:
                record(size, *stage_dbt(size, warehouse, args))
        if "pipeline" in args.stages:
            for warehouse in args.warehouse:
                for run, vs in stage_pipeline(size, world, warehouse, args):
                    record(size, run, vs)
    if "pipeline" not in args.stages:
        notes.append("pipeline stage (issue 9: whole run on large < 30 min, < 2 GB) not run: "
                     "add --stages ...,pipeline (runs make demo's pipeline on a copy of the world)")

    table = format_table(verdicts, runs)
    print("\n" + table)
    for note in notes:
        print(f"note: {note}")
    save(complete=True)
    print(f"-> {out}")
    if failed:
        print("failed stages: " + ", ".join(failed))
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
