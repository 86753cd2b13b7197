"""Against a generated sandbox world (the simulator's `tiny` preset): plan from the API, execute,
execute again, advance the world, reconcile. The world's numbers come from the simulator, so the
assertions are the money invariants, checked exactly: each line makes one payout, each creator's
available balance falls by exactly the line's gross amount (payout plus instant fee), and every
settled payout reconciles with a zero difference."""
from __future__ import annotations

import calendar
import dataclasses
from datetime import date, timedelta
from decimal import Decimal

import pytest

from pipelines.payouts.execute import METADATA_KEY, execute_plan
from pipelines.payouts.fx import FxRates
from pipelines.payouts.journal import InMemoryJournal
from pipelines.payouts.model import InstantRequest
from pipelines.payouts.plan import build_plan
from pipelines.payouts.reconcile import reconcile
from pipelines.payouts.schedule import is_due
from pipelines.payouts.stripe_io import fetch_payouts, inputs_from_api

generate = pytest.importorskip("pipelines.sandbox.generate")
advance = pytest.importorskip("pipelines.sandbox.advance")
from pipelines.sandbox.fx import BASE_PER_USD  # noqa: E402
from pipelines.sandbox.testing import running_sandbox, stripe_client  # noqa: E402

DAY = date(2026, 11, 4)   # a Wednesday, four days after the world's default end


def test_plan_execute_advance_reconcile_on_a_simulated_world(tmp_path):
    path = tmp_path / "tiny.sqlite"
    generate.generate_world(path, size="tiny", seed=7, end=calendar.timegm(DAY.timetuple()))
    fx = FxRates(DAY, "USD", {c: Decimal(v) for c, v in BASE_PER_USD.items()})
    with running_sandbox(path) as running:
        client = stripe_client(running, max_network_retries=0)
        inputs = inputs_from_api(client, DAY, fx=fx)
        # every creator who is not due today asks for an instant payout of everything
        requests = tuple(InstantRequest(b.creator, b.currency) for b in inputs.balances
                         if b.available > 0 and not is_due(inputs.accounts[b.creator].schedule, DAY))
        inputs = dataclasses.replace(inputs, instant_requests=requests)
        plan = build_plan(inputs)
        assert plan.lines, "the world should leave someone to pay"
        before = {(b.creator, b.currency): b.available for b in inputs.balances}

        journal = InMemoryJournal()
        assert {o.outcome for o in execute_plan(plan.lines, client, journal)} == {"created"}
        assert {o.outcome for o in execute_plan(plan.lines, client, journal)} == {"already_done"}
        for line in plan.lines:
            mine = [p for p in client.v1.payouts.list({"limit": 100},
                                                      options={"stripe_account": line.creator})
                    if (p.to_dict().get("metadata") or {}).get(METADATA_KEY) == line.idempotency_key]
            assert len(mine) == 1

        after = {(b.creator, b.currency): b.available
                 for b in inputs_from_api(client, DAY, fx=fx).balances}
        for line in plan.lines:
            assert after[(line.creator, line.currency)] == \
                before[(line.creator, line.currency)] - line.amount

        advance.advance_world(path, 3)
        entries = journal.entries(DAY)
        results = reconcile(entries, fetch_payouts(client, entries), [])
        assert len(results) == len(plan.lines)
        for result in results:
            assert result.state in ("paid", "failed"), result
            assert result.difference == 0, result
            if result.state == "paid":
                assert result.matched, result.reasons
            else:
                assert result.failure_code and result.reasons[0].startswith("payout failed")

        # the next plan sees today's payouts: a failure carries its code, a success clears nothing
        later = inputs_from_api(client, DAY + timedelta(days=3), fx=fx)
        ours = {p.payout_id: p for p in later.recent_payouts}
        for result in results:
            assert ours[result.payout_id].status == result.state
            assert ours[result.payout_id].failure_code == result.failure_code
