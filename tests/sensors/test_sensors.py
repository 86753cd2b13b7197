"""The Stripe events sensor against the sandbox server (one cheap call; a run only when the newest
event changed), the failure alert (masked, delivered to a webhook) and the marts' freshness."""
import http.server
import json
import threading
from datetime import timedelta

import dagster as dg
import pytest

from pipelines.sandbox.testing import TEST_API_KEY, running_sandbox, write_world
from sensors import sensors as sn
from tests.dbt.raw_loader import stripe_fixture

CLOCK = 1_790_000_000


def _event(n: int) -> dict:
    event = stripe_fixture("event")
    event.update(id=f"evt_cashbook_{n:04d}", created=CLOCK - 1000 + n, type="charge.succeeded")
    return event


@pytest.fixture
def stripe_env(monkeypatch):
    def point_at(running):
        monkeypatch.setenv("STRIPE_API_KEY", running.api_key)
        monkeypatch.setenv("STRIPE_API_BASE", running.base_url)
    return point_at


def _evaluate(cursor):
    context = dg.build_sensor_context(cursor=cursor)
    return sn.stripe_events_sensor(context), context


def test_events_sensor_runs_once_per_new_event_and_not_when_nothing_is_new(tmp_path, stripe_env):
    world = write_world(tmp_path / "world.sqlite", [_event(1), _event(2)], clock=CLOCK)
    with running_sandbox(world) as running:
        stripe_env(running)
        first, ctx = _evaluate(None)
        assert isinstance(first, dg.RunRequest)
        assert first.tags["cashbook/newest_event"] == "evt_cashbook_0002"
        assert first.tags["dagster/priority"] == "10"
        assert ctx.cursor == "evt_cashbook_0002"
        quiet, ctx = _evaluate("evt_cashbook_0002")
        assert isinstance(quiet, dg.SkipReason)
        assert ctx.cursor == "evt_cashbook_0002"
    # something happens on Stripe: a newer event
    world = write_world(tmp_path / "world.sqlite", [_event(1), _event(2), _event(3)], clock=CLOCK)
    with running_sandbox(world) as running:
        stripe_env(running)
        again, ctx = _evaluate("evt_cashbook_0002")
        assert isinstance(again, dg.RunRequest)
        assert again.run_key == "stripe-event-evt_cashbook_0003"
        assert ctx.cursor == "evt_cashbook_0003"


def test_events_sensor_makes_one_request_per_tick(tmp_path, stripe_env, monkeypatch):
    world = write_world(tmp_path / "world.sqlite", [_event(1)], clock=CLOCK)
    calls = []
    real = sn.newest_event_id
    monkeypatch.setattr(sn, "newest_event_id", lambda *a, **k: calls.append(a) or real(*a, **k))
    with running_sandbox(world) as running:
        stripe_env(running)
        _evaluate(None)
    assert len(calls) == 1


def test_events_sensor_skips_without_a_key(monkeypatch):
    monkeypatch.delenv("STRIPE_API_KEY", raising=False)
    result, _ = _evaluate(None)
    assert isinstance(result, dg.SkipReason) and "STRIPE_API_KEY" in result.skip_message


def test_events_sensor_reports_a_bad_key_without_leaking_it(tmp_path, monkeypatch):
    world = write_world(tmp_path / "world.sqlite", [_event(1)], clock=CLOCK)
    with running_sandbox(world) as running:
        wrong = "sk_test_" + "Z" * 40
        monkeypatch.setenv("STRIPE_API_KEY", wrong)
        monkeypatch.setenv("STRIPE_API_BASE", running.base_url)
        result, ctx = _evaluate(None)
    assert isinstance(result, dg.SkipReason)
    assert wrong not in result.skip_message and "Z" * 40 not in result.skip_message
    assert ctx.cursor is None


def test_events_decision():
    assert sn.events_decision(None, None) is None
    assert sn.events_decision("evt_2", "evt_2") is None
    assert sn.events_decision("evt_3", "evt_2") == "evt_3"
    assert sn.events_decision("evt_1", None) == "evt_1"


def test_mask_secrets():
    text = f"auth failed for {TEST_API_KEY}; rk_live_abc123 and whsec_XYZ789 and Bearer sk_x_y"
    masked = sn.mask_secrets(text)
    assert TEST_API_KEY not in masked and "abc123" not in masked and "XYZ789" not in masked
    assert masked.count("<masked>") == 4
    assert sn.mask_secrets("charge ch_123 on acct_456") == "charge ch_123 on acct_456"


class _Hook(http.server.BaseHTTPRequestHandler):
    bodies: list = []

    def do_POST(self):  # noqa: N802
        _Hook.bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def webhook():
    _Hook.bodies = []
    server = http.server.HTTPServer(("127.0.0.1", 0), _Hook)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook", _Hook.bodies
    server.shutdown()


@dg.op
def _fails():
    raise RuntimeError(f"Stripe said no to {TEST_API_KEY}")


@dg.job
def failing_job():
    _fails()


def test_run_failure_sensor_posts_a_masked_alert_to_the_webhook(webhook, monkeypatch):
    url, bodies = webhook
    monkeypatch.setenv("CASHBOOK_ALERT_WEBHOOK_URL", url)
    instance = dg.DagsterInstance.ephemeral()
    result = failing_job.execute_in_process(instance=instance, raise_on_error=False)
    assert not result.success
    context = dg.build_run_status_sensor_context(
        sensor_name="run_failure_alert", dagster_instance=instance, dagster_run=result.dagster_run,
        dagster_event=result.get_run_failure_event()).for_run_failure()
    sn.run_failure_alert(context)
    assert len(bodies) == 1
    text = bodies[0]["text"]
    assert "failing_job" in text and result.run_id in text
    assert "step _fails: RuntimeError: Stripe said no to sk_<masked>" in text
    assert TEST_API_KEY not in text and "sk_<masked>" in text


def test_alert_goes_to_the_log_by_default_and_a_broken_channel_does_not_raise(monkeypatch, caplog):
    alert = sn.failure_alert("hourly_refresh", "run-1", "boom with sk_live_123456789")
    assert "sk_live_123456789" not in alert.body
    assert sn.send_alert(alert, {}) == ["log"]
    env = {"CASHBOOK_ALERT_WEBHOOK_URL": "http://127.0.0.1:9/nothing-listens",
           "CASHBOOK_ALERT_EMAIL_TO": "finance@example.com", "CASHBOOK_ALERT_EMAIL_SMTP_HOST": "127.0.0.1",
           "CASHBOOK_ALERT_EMAIL_SMTP_PORT": "9"}
    assert sn.alert_channels(env) == ["log", "webhook", "email"]
    assert sn.send_alert(alert, env) == ["log"]


def test_mart_freshness_applies_to_the_marts_group_only():
    mart = dg.AssetSpec(["marts", "fct_revenue_monthly"], group_name="dbt_marts")
    staging = dg.AssetSpec(["staging", "stg_stripe__charges"], group_name="dbt_staging")
    defs = sn.apply_mart_freshness(dg.Definitions(assets=[mart, staging]))
    specs = {s.key: s for s in defs.resolve_all_asset_specs()}
    assert specs[mart.key].freshness_policy.fail_window.to_timedelta() == timedelta(hours=2)
    assert specs[staging.key].freshness_policy is None
