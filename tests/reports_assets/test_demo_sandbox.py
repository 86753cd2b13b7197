"""Where the demo finds its Stripe: a sandbox in its own thread by default, or one another process
already serves (CASHBOOK_SANDBOX_API_BASE), with the key of the same world."""
from __future__ import annotations

import requests

from pipelines import demo
from pipelines.sandbox.generate import generate_world


def test_demo_uses_an_external_sandbox_when_given_one_and_its_own_otherwise(tmp_path, monkeypatch):
    world = tmp_path / "tiny.sqlite"
    generate_world(world, size="tiny", seed=3)

    monkeypatch.delenv("CASHBOOK_SANDBOX_API_BASE", raising=False)
    with demo._sandbox(world) as own:
        answer = requests.get(own.base_url + "/v1/customers", params={"limit": 1}, timeout=30,
                              headers={"Authorization": f"Bearer {own.api_key}"})
        assert answer.status_code == 200 and answer.json()["object"] == "list"
        key = own.api_key

    monkeypatch.setenv("CASHBOOK_SANDBOX_API_BASE", "http://127.0.0.1:12111/")
    with demo._sandbox(world) as external:
        assert isinstance(external, demo.ExternalSandbox)
        assert external.base_url == "http://127.0.0.1:12111"
        assert external.api_key == key and key.startswith("sk_test_")


def test_daily_close_flag_picks_the_daily_run(monkeypatch):
    called = []
    monkeypatch.setattr(demo, "run_daily_close", lambda: called.append("daily") or 0)
    monkeypatch.setattr(demo, "run_demo", lambda: called.append("demo") or 0)
    assert demo.main(["--daily-close"]) == 0 and demo.main([]) == 0
    assert called == ["daily", "demo"]
