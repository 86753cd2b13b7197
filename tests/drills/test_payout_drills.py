"""Payout execution drills: `cashbook payouts execute` killed with SIGKILL in the middle of a plan
(right after Stripe created a payout, before or after the journal heard of it; or at a random
moment), then run again. Every drill ends with exactly one payout per plan line at the sandbox,
to the cent, and a further run that sends nothing."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from pipelines.payouts import warehouse as W
from pipelines.payouts.plan_io import write_plan
from pipelines.sandbox.faults import FaultConfig
from pipelines.sandbox.testing import running_sandbox, write_world
from tests.payouts.test_one_journal import EXPECTED_PAYOUTS
from tests.payouts.test_sandbox import CLOCK, DAY, payouts_by_account, the_plan, world_objects

ROOT = Path(__file__).resolve().parents[2]
EXECUTE = [sys.executable, "-m", "pipelines.cli", "payouts", "execute", "--date", DAY.isoformat()]


@pytest.fixture()
def slow_sandbox(tmp_path):
    """Every answer 0.4 s late, so a kill can land between the payout Stripe made and the
    journal's record of it."""
    world = write_world(tmp_path / "world.sqlite", world_objects(), clock=CLOCK)
    with running_sandbox(world, faults=FaultConfig(latency_s=0.4)) as running:
        yield running


@pytest.fixture()
def cli_env(slow_sandbox, tmp_path):
    url = f"duckdb:///{tmp_path / 'wh.duckdb'}"
    output = tmp_path / "output"
    plan = the_plan()
    write_plan(plan, output / "payouts" / DAY.isoformat())
    with W.Warehouse(url) as wh:
        W.write_plan_tables(wh, plan)
    env = {**os.environ, "STRIPE_API_KEY": slow_sandbox.api_key, "STRIPE_API_BASE": slow_sandbox.base_url,
           "WAREHOUSE_URL": url, "CASHBOOK_OUTPUT_DIR": str(output)}
    return env


def _run(env) -> subprocess.CompletedProcess:
    return subprocess.run(EXECUTE, cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


def _kill_when(env, world: Path, *, payouts_seen: int | None = None, after_s: float | None = None) -> bool:
    """Start the command and SIGKILL it as soon as the sandbox holds `payouts_seen` payouts, or
    `after_s` seconds after it started; False when it finished first."""
    proc = subprocess.Popen(EXECUTE, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    started = time.monotonic()
    while proc.poll() is None and time.monotonic() - started < 300:
        due = (payouts_seen is not None and len(payouts_by_account(world)) >= payouts_seen) or \
              (after_s is not None and time.monotonic() - started >= after_s)
        if due:
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            return True
        time.sleep(0.005)
    proc.wait()
    return False


def _assert_paid_once(env, world: Path) -> None:
    rerun = _run(env)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr
    assert payouts_by_account(world) == EXPECTED_PAYOUTS
    again = _run(env)
    assert again.returncode == 0 and "3 already_done" in again.stdout, again.stdout + again.stderr
    assert payouts_by_account(world) == EXPECTED_PAYOUTS


@pytest.mark.parametrize("payouts_seen", [1, 2])
def test_execute_killed_right_after_stripe_paid_then_rerun_pays_each_line_once(cli_env, slow_sandbox, payouts_seen):
    assert _kill_when(cli_env, slow_sandbox.world_path, payouts_seen=payouts_seen), "finished before the kill"
    assert len(payouts_by_account(slow_sandbox.world_path)) == payouts_seen
    _assert_paid_once(cli_env, slow_sandbox.world_path)


@pytest.mark.drill
@pytest.mark.parametrize("seed", [5, 17, 29])
def test_execute_killed_at_a_random_moment_then_rerun_pays_each_line_once(cli_env, slow_sandbox, seed):
    # the command needs a few seconds to import and open the warehouse, then ~0.4 s per call
    _kill_when(cli_env, slow_sandbox.world_path, after_s=random.Random(seed).uniform(2.0, 9.0))
    _assert_paid_once(cli_env, slow_sandbox.world_path)
