"""Limits like the real API: the read rate limit (429 + Retry-After + Stripe-Should-Retry) and
injected faults (429/500/502, latency, dropped connections) that the SDK's retries get through."""
from __future__ import annotations

import pytest
import stripe
from stripe._http_client import HTTPClient

from pipelines.sandbox.faults import FaultConfig, parse_faults
from pipelines.sandbox.testing import running_sandbox, stripe_client, write_world

CLOCK = 1_790_000_000


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    customers = [{"id": f"cus_{n:03d}", "object": "customer", "created": CLOCK - 1000 + n,
                  "livemode": False, "metadata": {}} for n in range(40)]
    return write_world(tmp_path_factory.mktemp("faults") / "faults.sqlite", customers, clock=CLOCK)


@pytest.fixture()
def fast_retries(monkeypatch):
    """The SDK's backoff starts at 0.5 s; the tests shorten it, not the logic."""
    monkeypatch.setattr(HTTPClient, "INITIAL_DELAY", 0.02)
    monkeypatch.setattr(HTTPClient, "MAX_DELAY", 0.2)


def test_parse_faults_spec():
    config = parse_faults("429=0.05,500=0.03,502=0.02,drop=0.01,latency=20ms,seed=7")
    assert config == FaultConfig(p429=0.05, p500=0.03, p502=0.02, drop=0.01, latency_s=0.02, seed=7)
    assert parse_faults("latency=0.5s").latency_s == 0.5
    assert parse_faults("") == FaultConfig()
    assert not parse_faults("").active
    for bad in ("429=2", "404=0.1", "drop", "latency=fast", "500=0.6,502=0.6", "seed=x"):
        with pytest.raises(ValueError):
            parse_faults(bad)


def test_fault_decisions_are_seeded():
    config = parse_faults("429=0.2,500=0.2,502=0.1,drop=0.1,seed=7")
    first = [config.injector().decide() for _ in range(1)]
    a, b = config.injector(), config.injector()
    run_a = [a.decide() for _ in range(300)]
    run_b = [b.decide() for _ in range(300)]
    assert run_a == run_b and first == run_a[:1]
    other = parse_faults("429=0.2,500=0.2,502=0.1,drop=0.1,seed=8").injector()
    assert [other.decide() for _ in range(300)] != run_a
    assert set(run_a) == {None, 429, 500, 502, "drop"}
    assert a.counts[None] == run_a.count(None)


def test_rate_limit_answers_429_with_retry_after(world):
    with running_sandbox(world, rate_limit=5) as running:
        client = stripe_client(running, max_network_retries=0)
        with pytest.raises(stripe.RateLimitError) as err:
            for _ in range(30):
                client.v1.customers.list({"limit": 1})
        assert err.value.http_status == 429
        assert err.value.json_body["error"]["code"] == "rate_limit"
        assert err.value.headers["Retry-After"] == "1"
        assert err.value.headers["Stripe-Should-Retry"] == "true"


def test_sdk_retries_through_the_rate_limit(world, fast_retries):
    with running_sandbox(world, rate_limit=10) as running:
        client = stripe_client(running, max_network_retries=12)
        ids = [c.id for c in client.v1.customers.list({"limit": 2}).auto_paging_iter()]
    assert ids == [f"cus_{n:03d}" for n in range(39, -1, -1)]  # 20 pages through a 10/s limit


def test_faulted_server_is_read_completely_with_retries(world, fast_retries):
    faults = parse_faults("429=0.15,500=0.1,502=0.1,drop=0.1,latency=1ms,seed=11")
    with running_sandbox(world, faults=faults) as running:
        client = stripe_client(running, max_network_retries=15)
        ids = [c.id for c in client.v1.customers.list({"limit": 3}).auto_paging_iter()]
        counts = running.fault_counts
    assert ids == [f"cus_{n:03d}" for n in range(39, -1, -1)]
    assert counts[None] == 14  # one good answer per page: 40 customers in pages of 3
    assert counts.get(429, 0) + counts.get(500, 0) + counts.get(502, 0) + counts.get("drop", 0) > 0


def test_faulted_server_without_retries_fails_loudly(world):
    with running_sandbox(world, faults="500=1.0") as running:
        with pytest.raises(stripe.APIError) as err:
            stripe_client(running, max_network_retries=0).v1.customers.list()
    assert err.value.http_status == 500
