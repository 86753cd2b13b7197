"""`make demo`: the whole pipeline on the embedded default (the sandbox and DuckDB), through the
same Dagster definitions the UI shows, recorded in `DAGSTER_HOME` so `make ui` shows every run.

It generates (once) and serves the `demo` world, then materializes every asset: first the
unpartitioned graph (ingestion, FX, dbt, models), then each partitioned asset for its last
complete period at the world's clock (the year for 1099s, the quarter for VAT, the month for
reports, the day for payout plans), then runs one payout cycle on the sandbox (plan, execute,
a day passes, ingest, reconcile). A step that fails is reported and the rest goes on.

`python -m pipelines.demo --daily-close` runs only the `daily_close` job (the day's ingest, dbt,
scores and payout plan) for the world clock's date: what a day costs once the warehouse is built
(issue 9's "incremental day"; the bench advances the world a day before it).

With `CASHBOOK_SANDBOX_API_BASE` set (e.g. http://127.0.0.1:12111) the demo talks to a sandbox
already serving the same world (`cashbook sandbox serve`) instead of starting one in its own process:
the bench does this so that the pipeline's memory is the pipeline's, not Stripe's stand-in's.

The terminal shows the steps and the summary; what the tools print on the way (dbt's progress,
Dagster's logs) goes to `output/demo.log`, and every run's events stay in the instance (`make ui`).
"""
from __future__ import annotations

import contextlib
import os
import sys
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from pipelines.settings import PROJECT_ROOT

DEMO_SIZE = os.environ.get("CASHBOOK_DEMO_SIZE", "demo")
DEMO_SEED = int(os.environ.get("CASHBOOK_DEMO_SEED", "42"))


_TERMINAL = sys.stdout


def _say(message: str) -> None:
    print(message, file=_TERMINAL, flush=True)


@contextlib.contextmanager
def _tool_output_to(log_path: Path):
    """dbt and Dagster print hundreds of progress lines; a newcomer reads the steps, so those
    lines go to a log file beside the outputs instead."""
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "a", encoding="utf-8") as log, contextlib.redirect_stdout(log), \
            contextlib.redirect_stderr(log):
        yield


def _prepare_environment(world: Path, running) -> Path:
    """Point every resource at the sandbox and the default DuckDB file, and export the
    sandbox's side files (ECB rates, W-9 profiles) the FX and tax assets read."""
    from pipelines.dagster_sqlite import ensure_instance_yaml
    from pipelines.sandbox.cli import export_tax_profiles
    from pipelines.sandbox.ecb_export import write_ecb_csv

    side = world.parent / f"{world.stem}-files"
    side.mkdir(parents=True, exist_ok=True)
    ecb = side / "eurofxref-hist.csv"
    write_ecb_csv(world, ecb)
    profiles = side / "tax_profiles.csv"
    export_tax_profiles(world, profiles)
    os.chmod(profiles, 0o600)
    os.environ.update({
        "STRIPE_API_KEY": running.api_key,
        "STRIPE_API_BASE": running.base_url,
        "ECB_RATES_SOURCE": str(ecb),
        "CASHBOOK_TAX_PROFILES": str(profiles),
        "OPENBLAS_NUM_THREADS": "1",
    })
    os.environ.setdefault("DAGSTER_HOME", str(PROJECT_ROOT / ".dagster_home"))
    os.environ.setdefault("CASHBOOK_OUTPUT_DIR", str(PROJECT_ROOT / "output"))
    # The embedded default: SQLite storage in this folder (its event log pooled, see
    # pipelines.dagster_sqlite). Telemetry off, so a finance tool phones nowhere and the terminal
    # shows the demo, not Dagster's welcome banner.
    ensure_instance_yaml(Path(os.environ["DAGSTER_HOME"]))
    return side


def _world_clock(world: Path) -> datetime:
    from pipelines.sandbox import store

    conn = store.connect(world, readonly=True)
    try:
        return datetime.fromtimestamp(int(store.get_meta(conn, "clock")), tz=timezone.utc)
    finally:
        conn.close()


def _partition_plan(defs, clock: datetime):
    """Group the partitioned assets by partitions definition, each with its last complete
    partition at the world's clock."""
    import dagster as dg

    graph = defs.resolve_asset_graph()
    groups: dict[str, tuple[object, list]] = {}
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        pdef = node.partitions_def
        if not node.is_materializable or pdef is None:
            continue
        if not isinstance(pdef, dg.TimeWindowPartitionsDefinition):
            continue
        last = last_complete_partition(pdef, clock)
        groups.setdefault(f"{pdef.cron_schedule}|{last}", (last, []))[1].append(key)
    return list(groups.values())


def last_complete_partition(pdef, clock: datetime) -> str:
    """The newest partition whose window has ended by `clock` (2026-11-01 00:00 gives 2026-10-31,
    2026-10, the quarter starting 2026-07-01 and the year 2025)."""
    key = pdef.get_partition_key_for_timestamp(clock.timestamp() - 1)
    window = pdef.time_window_for_partition_key(key)
    if window.end > clock:
        key = pdef.get_partition_key_for_timestamp(window.start.timestamp() - 1)
    return key


def _materialize(defs, instance, selection, partition_key=None) -> tuple[bool, list[str]]:
    from pipelines.payouts.demo_cycle import materialize_quietly

    result = materialize_quietly(defs, instance, selection, partition_key, tags={"cashbook/run": "demo"})
    failed = [
        event.step_key or "?"
        for event in result.all_events
        if event.event_type_value == "STEP_FAILURE"
    ]
    return result.success, failed


@dataclass(frozen=True)
class ExternalSandbox:
    """A sandbox another process serves (`CASHBOOK_SANDBOX_API_BASE`): its address, the world's key."""
    base_url: str
    api_key: str

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        return None


def _sandbox(world: Path):
    """The sandbox serving `world`: the one at CASHBOOK_SANDBOX_API_BASE, else one in a thread."""
    from pipelines.sandbox import store
    from pipelines.sandbox.server import start_in_thread

    external = os.environ.get("CASHBOOK_SANDBOX_API_BASE", "").strip()
    if not external:
        return start_in_thread(world, port=0, rate_limit=None)
    conn = store.connect(world, readonly=True)
    try:
        return ExternalSandbox(external.rstrip("/"), str(store.get_meta(conn, "api_key")))
    finally:
        conn.close()


def run_demo() -> int:
    import dagster as dg

    from pipelines.sandbox.cli import ensure_world

    started = time.monotonic()
    _say(f"1/5 sandbox: the '{DEMO_SIZE}' world (seed {DEMO_SEED}) …")
    world = ensure_world(DEMO_SIZE, DEMO_SEED)
    clock = _world_clock(world)
    _say(f"    {world} (world clock {clock:%Y-%m-%d %H:%M} UTC)")

    with _sandbox(world) as running:
        _prepare_environment(world, running)
        _say(f"    serving the Stripe API at {running.base_url}")

        from pipelines.definitions import defs  # after the environment is set

        instance = dg.DagsterInstance.get()
        graph = defs.resolve_asset_graph()
        unpartitioned = [
            key for key in graph.get_all_asset_keys()
            if graph.get(key).is_materializable and graph.get(key).partitions_def is None
        ]
        log_path = Path(os.environ["CASHBOOK_OUTPUT_DIR"]) / "demo.log"
        _say(f"    progress of dbt and Dagster: {log_path}")
        _say(f"2/5 ingestion, FX, dbt and models: {len(unpartitioned)} assets …")
        with _tool_output_to(log_path):
            ok, failed = _materialize(defs, instance, unpartitioned)
        _report_step("unpartitioned graph", ok, failed)

        plan = _partition_plan(defs, clock)
        _say("3/5 periodic outputs for the last complete periods: "
             + ", ".join(sorted({p for p, _ in plan})))
        for partition_key, keys in plan:
            with _tool_output_to(log_path):
                ok, failed = _materialize(defs, instance, keys, partition_key=partition_key)
            _report_step(f"{partition_key}: {len(keys)} assets", ok, failed)

        _say(f"4/5 payouts: plan {clock.date()}, execute on the sandbox, a day passes, ingest, reconcile …")
        cycle_lines = _payout_cycle(defs, instance, world, clock)

    from pipelines.demo_summary import print_summary

    _say("5/5 summary")
    for line in cycle_lines:
        _say(line)
    print_summary(clock=clock, elapsed_s=time.monotonic() - started)
    return 0


def run_daily_close() -> int:
    """The `daily_close` job for the world clock's date, on the warehouse a demo built."""
    import dagster as dg

    from pipelines.sandbox.cli import ensure_world

    started = time.monotonic()
    world = ensure_world(DEMO_SIZE, DEMO_SEED)
    clock = _world_clock(world)
    day = clock.date().isoformat()
    _say(f"daily close {day} on {world} (world clock {clock:%Y-%m-%d %H:%M} UTC)")
    with _sandbox(world) as running:
        _prepare_environment(world, running)
        from pipelines.definitions import defs  # after the environment is set

        instance = dg.DagsterInstance.get()
        log_path = Path(os.environ["CASHBOOK_OUTPUT_DIR"]) / "demo.log"
        with _tool_output_to(log_path):
            result = defs.resolve_job_def("daily_close").execute_in_process(
                instance=instance, partition_key=day, raise_on_error=False,
                tags={"cashbook/run": "daily-close"},
                run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}})
        failed = [e.step_key or "?" for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    _report_step(f"daily_close {day} in {time.monotonic() - started:.0f} s (run {result.run_id})",
                 result.success, failed)
    return 0 if result.success else 1


def _payout_cycle(defs, instance, world: Path, clock: datetime) -> list[str]:
    """One real payout cycle on the sandbox. It moves the world a day forward for good, as time
    would: the next `make demo` continues from there."""
    from pipelines.payouts.demo_cycle import run_payout_cycle

    with _tool_output_to(Path(os.environ["CASHBOOK_OUTPUT_DIR"]) / "demo.log"):
        summary = run_payout_cycle(defs, instance, world=world, day=clock.date(), say=_say)
    if not summary.ok:
        _FAILURES.extend(name for name, ok in summary.steps if not ok)
    return summary.text_lines()


_FAILURES: list[str] = []


def _report_step(label: str, ok: bool, failed: list[str]) -> None:
    if ok:
        _say(f"    ok   {label}")
    else:
        _FAILURES.extend(failed)
        _say(f"    FAIL {label}: failed steps {', '.join(failed) or '(see the Dagster UI)'}")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    code = run_daily_close() if "--daily-close" in args else run_demo()
    if _FAILURES:
        _say(f"\n{len(_FAILURES)} step(s) failed; open the run in the UI (make ui) for the logs.")
        return 1
    return code


if __name__ == "__main__":
    sys.exit(main())
