"""Where a whole pipeline run spends its time and memory, per stage of issue 9 (ingest, dbt,
payouts, tax, forecasts, fraud, reports).

Time comes from the run's own Dagster event log (STEP_START to STEP_SUCCESS/STEP_FAILURE per
step, read from the private DAGSTER_HOME after the run), so it is what Dagster measured, not a
guess from log lines. Memory cannot come from there: a thread of the bench driver samples the
resident set of the pipeline's whole process tree (the demo process and its children, such as
dbt) every half second, and each sample counts for the stage(s) whose steps were running then;
so does the CPU the tree used since the previous sample, because on a shared machine wall time
stretches with the load and CPU time does not. The tree's RSS is a sum, so pages shared between
processes count once per process that maps them; a child's CPU in its last half second before it
exits is not seen.

Steps map to stages by their assets' group (`STAGE_OF_GROUP`); asset-check steps that run
apart from their asset (the GX suites, the invariant checks) form a `checks` stage of their own,
so a slow suite does not hide inside ingest or dbt; anything unmapped is `other` and shown.
"""
from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass
from pathlib import Path

STAGES = ("ingest", "dbt", "checks", "payouts", "tax", "forecasts", "fraud", "reports", "other")
BETWEEN = "(between steps)"   # the run's wall time outside every step: imports, planning, the sandbox
STAGE_OF_GROUP = {"stripe_raw": "ingest", "fx": "ingest", "payouts": "payouts", "tax": "tax",
                  "finance": "forecasts", "risk": "fraud", "reports": "reports"}
# ops of plain jobs (no asset, so no group): the payout execution job
STAGE_OF_JOB = {"payout_execute": "payouts"}
SAMPLE_EVERY_S = 0.5


def stage_of_group(group: str | None) -> str:
    if group and group.startswith("dbt_"):
        return "dbt"
    return STAGE_OF_GROUP.get(group or "", "other")


def step_stage_map(defs) -> dict[str, str]:
    """Step key (the op's name, as the in-process executor names steps) -> stage."""
    import dagster as dg

    out: dict[str, str] = {}
    for a in defs.assets or []:
        if isinstance(a, dg.AssetsDefinition) and a.is_executable and a.keys:
            stages = {stage_of_group(g) for g in a.group_names_by_key.values()}
            out[a.node_def.name] = stages.pop() if len(stages) == 1 else "other"
    for c in defs.asset_checks or []:
        out.setdefault(c.node_def.name, "checks")
    return out


@dataclass(frozen=True)
class StepWindow:
    stage: str
    step_key: str
    start: float     # epoch seconds, as Dagster stamps its events
    end: float


def _union(intervals: list[tuple[float, float]]) -> list[tuple[float, float]]:
    merged: list[list[float]] = []
    for start, end in sorted(intervals):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


def _covers(intervals: list[tuple[float, float]], t: float) -> bool:
    return any(s <= t <= e for s, e in intervals)


def attribute(windows: list[StepWindow], samples: list[tuple[float, float, float]],
              began: float, ended: float) -> dict[str, dict]:
    """Per stage: wall seconds (the union of its step windows, so steps running side by side
    count once), step count, the CPU seconds of the samples taken while one of its steps ran
    (each sample is (time, RSS MB, CPU s since the previous sample)) and the peak sampled RSS in
    MB (None when no sample fell inside: a step shorter than the sampling period). `BETWEEN` is
    what the run spent outside every step (`began`..`ended` is the whole process)."""
    by_stage: dict[str, list[tuple[float, float]]] = {}
    counts: dict[str, int] = {}
    for w in windows:
        by_stage.setdefault(w.stage, []).append((w.start, w.end))
        counts[w.stage] = counts.get(w.stage, 0) + 1
    out: dict[str, dict] = {}
    order = [s for s in STAGES if s in by_stage] + sorted(s for s in by_stage if s not in STAGES)
    for stage in order:
        spans = _union(by_stage[stage])
        inside = [(mb, cpu) for t, mb, cpu in samples if _covers(spans, t)]
        out[stage] = {"wall_s": round(sum(e - s for s, e in spans), 2), "steps": counts[stage],
                      "cpu_s": round(sum(cpu for _, cpu in inside), 2),
                      "peak_mb": round(max(mb for mb, _ in inside), 1) if inside else None}
    every = _union([(w.start, w.end) for w in windows])
    inside = sum(min(e, ended) - max(s, began) for s, e in every if e > began and s < ended)
    outside = [(mb, cpu) for t, mb, cpu in samples if began <= t <= ended and not _covers(every, t)]
    out[BETWEEN] = {"wall_s": round(max(ended - began - inside, 0.0), 2), "steps": 0,
                    "cpu_s": round(sum(cpu for _, cpu in outside), 2),
                    "peak_mb": round(max(mb for mb, _ in outside), 1) if outside else None}
    return out


def read_step_windows(dagster_home: Path, step_stages: dict[str, str],
                      skip_runs: set[str] = frozenset()) -> tuple[list[StepWindow], set[str]]:
    """Every step of every run in the instance at `dagster_home` but `skip_runs`; returns the
    windows and the ids of the runs read. A step with a start and no end (the process died)
    ends at its run's last event."""
    import dagster as dg

    instance = dg.DagsterInstance.from_config(str(dagster_home))
    kinds = {dg.DagsterEventType.STEP_START, dg.DagsterEventType.STEP_SUCCESS,
             dg.DagsterEventType.STEP_FAILURE}
    windows: list[StepWindow] = []
    seen: set[str] = set()
    try:
        for run in instance.get_runs():
            if run.run_id in skip_runs:
                continue
            seen.add(run.run_id)
            starts: dict[str, float] = {}
            last = 0.0
            for entry in instance.all_logs(run.run_id, of_type=kinds):
                last = max(last, entry.timestamp)
                key = entry.step_key or "?"
                if entry.dagster_event_type == dg.DagsterEventType.STEP_START:
                    starts[key] = entry.timestamp
                elif key in starts:
                    windows.append(StepWindow(_stage(key, run.job_name, step_stages), key,
                                              starts.pop(key), entry.timestamp))
            for key, start in starts.items():
                windows.append(StepWindow(_stage(key, run.job_name, step_stages), key, start, last))
    finally:
        instance.dispose()
    return sorted(windows, key=lambda w: w.start), seen


def _stage(step_key: str, job_name: str, step_stages: dict[str, str]) -> str:
    return step_stages.get(step_key) or STAGE_OF_JOB.get(job_name, "other")


# --- memory of a process tree ---------------------------------------------------------------

def _children(pid: int) -> list[int]:
    kids: list[int] = []
    for f in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            kids.extend(int(p) for p in f.read_text().split())
        except OSError:
            pass
    return kids


def _status_kb(pid: int, *fields: str) -> dict[str, int]:
    """Fields of /proc/<pid>/status in kB (0 when the process is gone)."""
    out = dict.fromkeys(fields, 0)
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            name = line.split(":", 1)[0]
            if name in out:
                out[name] = int(line.split()[1])
    except OSError:
        pass
    return out


def _rss_kb(pid: int) -> int:
    return _status_kb(pid, "VmRSS")["VmRSS"]


def _pss_kb(pid: int) -> int:
    """Proportional set size: each page divided by the number of processes mapping it, so a tree's
    sum counts a shared page once (a child between fork and exec shares its parent's whole heap;
    VmRSS counts it twice: the small world's day showed 2 x 504 MB for one 504 MB process).
    VmRSS when smaps_rollup cannot be read (0 when the process is gone)."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return _rss_kb(pid)


def _peak_entry(pid: int, rss_kb: int) -> dict:
    """Who holds memory at the tree's peak. VmRSS counts file pages mapped into the process (the
    sandbox server maps its whole world file, page cache the kernel can drop); RssAnon is the
    process's own memory (Python's heap, DuckDB's buffers)."""
    parts = _status_kb(pid, "RssAnon", "RssFile")
    return {"pid": pid, "rss_mb": round(rss_kb / 1024, 1), "pss_mb": round(_pss_kb(pid) / 1024, 1),
            "anon_mb": round(parts["RssAnon"] / 1024, 1),
            "file_mb": round(parts["RssFile"] / 1024, 1), "command": _command(pid)}


_TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_s(pid: int) -> float:
    """utime + stime of one process (fields 14 and 15 of /proc/<pid>/stat, after the command
    name, which may hold spaces and parentheses)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / _TICKS
    except (OSError, IndexError, ValueError):
        return 0.0


def _command(pid: int, width: int = 120) -> str:
    try:
        words = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split()
        return " ".join(w for part in words for w in part.split("\0") if w)[:width]
    except OSError:
        return "?"


def tree_pids(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        if p not in out:
            out.append(p)
            todo.extend(_children(p))
    return out


def tree_rss_mb(pid: int) -> float:
    """Sum of VmRSS over `pid` and all its descendants (a process gone meanwhile counts 0)."""
    return sum(_rss_kb(p) for p in tree_pids(pid)) / 1024


class TreeSampler:
    """Samples (time, MB of the tree, CPU s the tree used since the last sample) every
    SAMPLE_EVERY_S seconds in a daemon thread: `start(pid)` once the process exists, `stop()`
    after it was waited for. The MB is the sum of the processes' PSS (a page shared by n of them
    counts 1/n in each: the tree's memory once); the largest sum of VmRSS, which counts shared
    pages once per process, is kept beside it (`rss_sum_peak_mb`)."""

    def __init__(self, every_s: float = SAMPLE_EVERY_S):
        self.every_s = every_s
        self.samples: list[tuple[float, float, float]] = []
        self.peak_processes: list[dict] = []   # who held the memory at the tree's peak sample
        self.rss_sum_peak_mb = 0.0
        self._cpu_seen: dict[int, float] = {}
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self, pid: int) -> None:
        self._thread = threading.Thread(target=self._run, args=(pid,), daemon=True)
        self._thread.start()

    def _run(self, pid: int) -> None:
        while not self._stop.is_set():
            pss, rss, cpu = {}, {}, 0.0
            for p in tree_pids(pid):
                pss[p], rss[p] = _pss_kb(p), _rss_kb(p)
                now = _cpu_s(p)
                cpu += max(now - self._cpu_seen.get(p, 0.0), 0.0)
                self._cpu_seen[p] = now
            mb = sum(pss.values()) / 1024
            self.rss_sum_peak_mb = max(self.rss_sum_peak_mb, sum(rss.values()) / 1024)
            if not self.samples or mb > max(m for _, m, _ in self.samples):
                self.peak_processes = [_peak_entry(p, rss[p])
                                       for p, kb in sorted(pss.items(), key=lambda i: -i[1]) if kb]
            self.samples.append((time.time(), mb, cpu))
            self._stop.wait(self.every_s)

    def stop(self) -> list[tuple[float, float, float]]:
        self._stop.set()
        if self._thread:
            self._thread.join()
        return self.samples


def format_stage_table(stages: dict[str, dict]) -> list[str]:
    lines = [f"    {'stage':16} {'wall s':>9} {'CPU s':>9} {'steps':>6} {'peak MB':>9}"]
    for name, m in stages.items():
        peak = "-" if m["peak_mb"] is None else f"{m['peak_mb']:,}"
        lines.append(f"    {name:16} {m['wall_s']:>9} {m.get('cpu_s', '-'):>9} {m['steps']:>6} {peak:>9}")
    return lines
