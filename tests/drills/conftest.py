"""Fault drills: every test here is a drill. The short ones run in `make test`; the long ones
(`@pytest.mark.drill`: PostgreSQL restart mid-ingest, more kill points) run with
`pytest -m drill tests/drills`. The session ends by printing `drills: N run, N passed`
(the hook is in tests/conftest.py)."""
from __future__ import annotations

from tests.ingestion.conftest import small_world, tiny_clean, tiny_world  # noqa: F401  (shared worlds)


def pytest_configure(config):
    config.addinivalue_line("markers", "drill: long fault drill (make drill), deselected by -m 'not drill'")
