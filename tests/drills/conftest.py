"""Fault drills: every test here is a drill. The short ones run in `make test`; the long ones
(`@pytest.mark.drill`: PostgreSQL restart mid-ingest, more kill points) run with
`pytest -m drill tests/drills`. The session ends by printing `drills: N run, N passed`."""
from __future__ import annotations

from tests.ingestion.conftest import small_world, tiny_clean, tiny_world  # noqa: F401  (shared worlds)

_OUTCOMES: dict[str, bool] = {}


def pytest_configure(config):
    config.addinivalue_line("markers", "drill: long fault drill (make drill), deselected by -m 'not drill'")


def pytest_runtest_logreport(report):
    """Runs in the controlling process also under pytest-xdist (`make test` uses -n 2)."""
    if "tests/drills/" not in report.nodeid.replace("\\", "/"):
        return
    if report.when == "call" or (report.when == "setup" and report.failed):
        _OUTCOMES[report.nodeid] = report.passed


def pytest_terminal_summary(terminalreporter):
    if _OUTCOMES:
        passed = sum(_OUTCOMES.values())
        terminalreporter.write_line(f"drills: {len(_OUTCOMES)} run, {passed} passed")
