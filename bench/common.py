"""Shared bench plumbing: run one stage in its own process and measure it from outside.

Each stage runs as `python -m <module> ... --json-out FILE` in a child process, so its peak
memory is its own (the kernel's `wait4` rusage of that child and the children it waited for),
not the largest of every stage so far as `RUSAGE_CHILDREN` of the driver would be. Wall time
comes with CPU time and the load average, because the machine may be shared: a stage that
used 30 s of CPU but took 90 s of wall time under a load of 8 was waiting, not working.
"""
from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
DEFAULT_RESULTS = BENCH_DIR / "results"


@dataclass
class StageRun:
    """What the driver saw of one stage process, plus the JSON the stage wrote about itself."""
    stage: str
    returncode: int
    wall_s: float
    cpu_s: float               # user + system of the stage process and the children it waited for
    peak_rss_mb: float         # largest resident set of that process tree (max, not sum)
    load_before: float         # 1-minute load average when the stage started
    load_after: float
    output: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


def peak_rss_mb_of(usage: resource.struct_rusage) -> float:
    """ru_maxrss is in KiB on Linux."""
    return round(usage.ru_maxrss / 1024, 1)


def self_peak_rss_mb() -> float:
    """Peak RSS of the calling process: for a stage that wants to report a sub-step's peak."""
    return peak_rss_mb_of(resource.getrusage(resource.RUSAGE_SELF))


def cpu_seconds_self() -> float:
    """User + system CPU of this process and its waited-for children so far."""
    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def run_stage(stage: str, module: str, args: list[str], *, env: dict[str, str] | None = None,
              json_out: Path | None = None, reports_json: bool = True,
              log: Path | None = None, on_start=None) -> StageRun:
    """Run `python -m module *args --json-out F` (unless json_out is given: then the module
    writes there by its own convention; or reports_json=False: measured from outside only)
    and measure wall, CPU and peak RSS of that process. `log`: its stdout and stderr go to that
    file instead of the terminal (for chatty stages such as a whole Dagster run). `on_start(pid)`
    is called once the child exists (e.g. to sample its memory from a thread)."""
    tmp = None
    if not reports_json:
        json_out = Path(tempfile.gettempdir()) / f"bench-{stage}-{os.getpid()}-none.json"
    elif json_out is None:
        fd, tmp = tempfile.mkstemp(prefix=f"bench-{stage}-", suffix=".json")
        os.close(fd)
        json_out = Path(tmp)
        args = [*args, "--json-out", str(json_out)]
    else:
        json_out.unlink(missing_ok=True)
    cmd = [sys.executable, "-m", module, *args]
    load_before = os.getloadavg()[0]
    began = time.perf_counter()
    sink = open(log, "ab") if log else None
    try:
        child = subprocess.Popen(cmd, env={**os.environ, **(env or {})}, cwd=BENCH_DIR.parent,
                                 stdout=sink, stderr=sink)
        if on_start:
            on_start(child.pid)
        _, status, usage = os.wait4(child.pid, 0)
    finally:
        if sink:
            sink.close()
    wall = time.perf_counter() - began
    child.returncode = os.waitstatus_to_exitcode(status)
    output: dict = {}
    try:
        if json_out.exists() and json_out.stat().st_size:
            output = json.loads(json_out.read_text())
    finally:
        if tmp:
            Path(tmp).unlink(missing_ok=True)
    return StageRun(stage=stage, returncode=child.returncode, wall_s=round(wall, 2),
                    cpu_s=round(usage.ru_utime + usage.ru_stime, 2),
                    peak_rss_mb=peak_rss_mb_of(usage), load_before=round(load_before, 2),
                    load_after=round(os.getloadavg()[0], 2), output=output)


def measure_command(cmd: list[str], *, env: dict[str, str] | None = None,
                    cwd: str | Path | None = None, quiet: bool = False) -> dict:
    """Wall, CPU and peak RSS of one command (e.g. `dbt build`) run as a child of this process."""
    load_before = os.getloadavg()[0]
    began = time.perf_counter()
    child = subprocess.Popen(cmd, env={**os.environ, **(env or {})}, cwd=cwd,
                             stdout=subprocess.DEVNULL if quiet else None)
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    return {"returncode": child.returncode, "seconds": round(time.perf_counter() - began, 2),
            "cpu_s": round(usage.ru_utime + usage.ru_stime, 2), "peak_rss_mb": peak_rss_mb_of(usage),
            "load_before": round(load_before, 2), "load_after": round(os.getloadavg()[0], 2)}


def write_json(path: str | Path | None, data: dict) -> None:
    """A stage's own report for the driver (no-op when run by hand without --json-out)."""
    if path:
        Path(path).write_text(json.dumps(data, indent=2, default=str))


@dataclass(frozen=True)
class Verdict:
    """One target line of the table: measured value against its limit."""
    size: str
    name: str
    measured: float | None
    target: float | None       # None: reported beside the others, no target of its own
    unit: str
    higher_is_better: bool
    note: str = ""

    @property
    def status(self) -> str:
        if self.measured is None:
            return "SKIP"
        if self.target is None:
            return "INFO"
        ok = self.measured >= self.target if self.higher_is_better else self.measured <= self.target
        return "PASS" if ok else "MISS"

    def to_dict(self) -> dict:
        return {**asdict(self), "status": self.status}


PG_ADMIN = {"host": "127.0.0.1", "port": 5432, "user": "postgres", "dbname": "postgres"}


def pg_admin(sql: str) -> None:
    """One statement on the local PostgreSQL's maintenance database (CREATE/DROP DATABASE)."""
    import psycopg2

    conn = psycopg2.connect(**PG_ADMIN)
    conn.autocommit = True
    try:
        conn.cursor().execute(sql)
    finally:
        conn.close()


def copy_world(source: Path, dest: Path) -> Path:
    """A private copy of a cached world (SQLite's online backup), so a stage can advance it."""
    import sqlite3

    with sqlite3.connect(source) as src, sqlite3.connect(dest) as dst:
        src.backup(dst)
    return dest


def fresh_warehouse(warehouse: str, work: Path, dbname: str) -> str:
    """WAREHOUSE_URL of an empty warehouse: a DuckDB file in `work`, or a new PostgreSQL
    database `dbname` (dropped first if a killed run left it); the caller drops it at the end."""
    if warehouse == "duckdb":
        return f"duckdb:///{work / 'warehouse.duckdb'}"
    pg_admin(f'DROP DATABASE IF EXISTS "{dbname}"')
    pg_admin(f'CREATE DATABASE "{dbname}"')
    return f"postgresql://postgres@127.0.0.1:5432/{dbname}"

