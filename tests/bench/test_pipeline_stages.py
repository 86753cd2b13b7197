"""The split of a pipeline run into stages: step windows and memory/CPU samples by hand, numbers
worked out beside each case."""
from __future__ import annotations

import os
import time

from bench.pipeline_stages import BETWEEN, StepWindow, TreeSampler, attribute, stage_of_group, tree_rss_mb


def test_groups_map_to_the_issues_stages():
    assert [stage_of_group(g) for g in ("stripe_raw", "fx", "dbt_staging", "dbt_marts", "payouts", "tax",
                                        "finance", "risk", "reports", "default", None)] == [
        "ingest", "ingest", "dbt", "dbt", "payouts", "tax", "forecasts", "fraud", "reports", "other", "other"]


def test_time_is_the_union_of_a_stages_steps_memory_and_cpu_the_samples_while_they_ran():
    # run 100..200 s. ingest: 110-130 and (FX) 125-135 overlap -> union 110-135 = 25 s, 2 steps.
    # dbt: 140-170 = 30 s. tax: 180-180.2 = 0.2 s, no sample inside -> peak None, CPU 0.
    # inside steps: 25 + 30 + 0.2 = 55.2 s; between steps: 100 - 55.2 = 44.8 s.
    windows = [StepWindow("ingest", "stripe_raw_sync", 110, 130), StepWindow("ingest", "raw_fx__ecb_rates", 125, 135),
               StepWindow("dbt", "cashbook_dbt_assets", 140, 170), StepWindow("tax", "finance__us_nexus", 180, 180.2)]
    samples = [(105, 300.0, 0.5),                       # before any step: between
               (112, 500.0, 0.25), (128, 650.0, 0.5),   # ingest (128 is inside both ingest windows: once)
               (135, 700.0, 0.25),                      # the FX step's last instant: still ingest
               (137, 900.0, 1.0),                       # between ingest and dbt
               (150, 1200.0, 2.0), (170, 800.0, 0.75),  # dbt
               (181, 400.0, 0.25),                      # after the tax step: between
               (250, 5000.0, 9.0)]                      # after the run ended: ignored
    got = attribute(windows, samples, began=100, ended=200)
    assert got == {
        "ingest": {"wall_s": 25.0, "steps": 2, "cpu_s": 1.0, "peak_mb": 700.0},    # 0.25 + 0.5 + 0.25
        "dbt": {"wall_s": 30.0, "steps": 1, "cpu_s": 2.75, "peak_mb": 1200.0},     # 2.0 + 0.75
        "tax": {"wall_s": 0.2, "steps": 1, "cpu_s": 0.0, "peak_mb": None},
        BETWEEN: {"wall_s": 44.8, "steps": 0, "cpu_s": 1.75, "peak_mb": 900.0},    # 0.5 + 1.0 + 0.25
    }


def test_stages_come_in_the_issues_order_and_unknown_ones_last():
    windows = [StepWindow("reports", "r", 1, 2), StepWindow("zzz", "z", 2, 3), StepWindow("other", "o", 3, 4),
               StepWindow("ingest", "i", 4, 6)]
    got = attribute(windows, [], began=0, ended=10)
    assert list(got) == ["ingest", "reports", "other", "zzz", BETWEEN]
    assert got[BETWEEN] == {"wall_s": 5.0, "steps": 0, "cpu_s": 0.0, "peak_mb": None}  # 10 - (1 + 1 + 1 + 2)


def test_sampler_sees_this_process_memory_and_cpu():
    assert tree_rss_mb(os.getpid()) > 1  # a Python process with pytest loaded; the number is the machine's
    sampler = TreeSampler(every_s=0.05)
    sampler.start(os.getpid())
    deadline = os.times().user + 0.3
    while os.times().user < deadline:   # burn 0.3 s of CPU while sampled
        pass
    samples = sampler.stop()
    assert len(samples) >= 2
    # the first sample takes the CPU used since the process began; later ones the busy loop
    assert sum(cpu for _, _, cpu in samples[1:]) >= 0.2


def test_peak_entry_splits_a_process_rss_into_its_own_memory_and_mapped_files():
    from bench.pipeline_stages import _peak_entry, _rss_kb

    before = _peak_entry(os.getpid(), _rss_kb(os.getpid()))
    held = bytearray(64 * 1024 * 1024)            # 64 MiB of the process's own (anonymous) memory
    after = _peak_entry(os.getpid(), _rss_kb(os.getpid()))
    assert after["anon_mb"] - before["anon_mb"] >= 60
    assert abs(after["anon_mb"] + after["file_mb"] - after["rss_mb"]) < 2   # + shared memory, ~0
    del held


def test_the_tree_counts_a_forked_childs_shared_heap_once():
    """A child between fork and exec maps its parent's heap: VmRSS counts those pages in both, PSS
    splits them. 64 MiB touched in the parent, then a fork that sleeps: the RSS sum grows by about
    128 MiB over the parent's own, the PSS sum by about 64."""
    from bench.pipeline_stages import _pss_kb, _rss_kb

    held = bytearray(os.urandom(1024)) * (64 * 1024)   # 64 MiB of written pages
    child = os.fork()
    if child == 0:
        time.sleep(5)
        os._exit(0)
    try:
        time.sleep(0.2)
        parent_rss, child_rss = _rss_kb(os.getpid()) / 1024, _rss_kb(child) / 1024
        pss_sum = (_pss_kb(os.getpid()) + _pss_kb(child)) / 1024
        assert child_rss >= 64 and parent_rss >= 64          # each sees the shared heap whole
        assert pss_sum < parent_rss + child_rss - 60         # the shared 64 MiB counted once
        assert pss_sum >= 64
    finally:
        os.kill(child, 9)
        os.waitpid(child, 0)
    del held
