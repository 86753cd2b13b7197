"""Every job of the code location carries a run priority (DESIGN 8, issue 8 item 3)."""
import dagster as dg

from sensors.priority import PRIORITY

EXPECTED = {
    "stripe_ingest": "critical", "hourly_refresh": "critical",
    "payout_execute": "high", "daily_close": "high",
    "tax_year_files": "medium", "tax_quarter_files": "medium",
    "monthly_reports": "low", "annual_report": "low", "fraud_model_refit": "low",
}


def _jobs():
    from pipelines.definitions import defs
    repo = defs.get_repository_def()
    return {j.name: j for j in repo.get_all_jobs() if not j.name.startswith("__")}


def test_every_job_carries_a_priority_tag():
    jobs = _jobs()
    assert set(EXPECTED) <= set(jobs)
    for name, job in jobs.items():
        tags = job.tags or {}
        assert tags.get("dagster/priority") in PRIORITY.values(), name
        assert PRIORITY[tags["cashbook/priority"]] == tags["dagster/priority"], name


def test_priorities_follow_design_section_8():
    jobs = _jobs()
    got = {name: jobs[name].tags["cashbook/priority"] for name in EXPECTED}
    assert got == EXPECTED
    order = sorted(EXPECTED, key=lambda n: -int(jobs[n].tags["dagster/priority"]))
    assert order.index("stripe_ingest") < order.index("payout_execute") < order.index("tax_year_files") \
        < order.index("monthly_reports")

