"""The sandbox server's read API, driven only through the official stripe SDK, on a hand-built
world whose every answer is worked out below (ids, order, filters, retention)."""
from __future__ import annotations

import base64
import sqlite3
from email.utils import parsedate_to_datetime

import pytest
import stripe

from pipelines.catalog import OBJECT_TYPES
from pipelines.sandbox.testing import running_sandbox, stripe_client, write_world

CLOCK = 1_790_000_000  # Mon, 21 Sep 2026 14:13:20 UTC
DAY = 86_400
ACCT_A = "acct_AAAAAAAAAAAAAAAA"
ACCT_B = "acct_BBBBBBBBBBBBBBBB"


def obj(object_name: str, object_id: str, created: int, **fields):
    return {"id": object_id, "object": object_name, "created": created, "livemode": False,
            "metadata": {}, **fields}


def generic_objects():
    """Five objects of every listable type, with two of them created in the same second
    (seq breaks the tie: the later one is listed first)."""
    objects = []
    times = [CLOCK - 50 * DAY, CLOCK - 40 * DAY, CLOCK - 40 * DAY, CLOCK - 20 * DAY, CLOCK - 5 * DAY]
    for kind in OBJECT_TYPES:
        if kind.path is None or kind.object in ("event", "account", "customer", "subscription",
                                                "charge"):
            continue
        for n, created in enumerate(times):
            objects.append(obj(kind.object, f"{kind.id_prefix}gen{n}", created))
    return objects


def world_objects():
    objects = [
        obj("account", ACCT_A, CLOCK - 400 * DAY, country="US"),
        obj("account", ACCT_B, CLOCK - 300 * DAY, country="DE"),
    ]
    # customers: cus_3 and cus_4 share a second; cus_4 was written later
    for n, created in enumerate([100, 200, 300, 300, 500, 600, 700], start=1):
        objects.append(obj("customer", f"cus_{n}", CLOCK - 100 * DAY + created, email=f"c{n}@x.test"))
    for n, status in enumerate(["active", "canceled", "trialing", "past_due", "canceled"], start=1):
        objects.append(obj("subscription", f"sub_{n}", CLOCK - 90 * DAY + n, status=status,
                           customer=f"cus_{n}"))
    for n in range(1, 4):
        objects.append(obj("charge", f"ch_{n}", CLOCK - 80 * DAY + n, amount=1000 * n,
                           currency="usd", customer=f"cus_{n}", balance_transaction=f"txn_p{n}"))
        objects.append(obj("balance_transaction", f"txn_p{n}", CLOCK - 80 * DAY + n, amount=1000 * n,
                           net=1000 * n - 59, fee=59, currency="usd", type="charge",
                           source=f"ch_{n}", status="available", available_on=CLOCK - 78 * DAY))
    objects.append(obj("invoice", "in_big", CLOCK - 70 * DAY, customer="cus_1", status="paid",
                       subscription="sub_1"))
    objects.append(obj("invoice", "in_small", CLOCK - 69 * DAY, customer="cus_2", status="open",
                       subscription=None, parent={"type": "subscription_details",
                                                  "subscription_details": {"subscription": "sub_3"}}))
    for n in range(1, 26):  # 25 lines: an invoice whose lines take nine pages of three
        objects.append({"id": f"il_{n:02d}", "object": "line_item", "amount": 100 * n,
                        "currency": "usd", "livemode": False, "created": CLOCK - 70 * DAY,
                        "_parent": "in_big"})
    objects.append(obj("transfer", "tr_1", CLOCK - 60 * DAY, amount=5000, currency="usd",
                       destination=ACCT_A))
    for n in range(1, 4):
        objects.append(obj("transfer_reversal", f"trr_{n}", CLOCK - 60 * DAY + 10 * n, amount=100 * n,
                           currency="usd", transfer="tr_1", _parent="tr_1"))
    # connected account A: its own balance transactions and payouts
    for n in range(1, 4):
        objects.append(obj("balance_transaction", f"txn_a{n}", CLOCK - 30 * DAY + n, amount=500 * n,
                           net=500 * n, fee=0, currency="usd", type="payment", source=f"py_{n}",
                           status="available", available_on=CLOCK - 28 * DAY, _account=ACCT_A))
    objects.append(obj("payout", "po_a1", CLOCK - 10 * DAY, amount=3000, currency="usd",
                       status="paid", _account=ACCT_A))
    # events: two older than 30 days never show; wildcard and types[] filters are checked below
    for evt_id, age_days, etype, account in [
        ("evt_old1", 45, "customer.created", ""),
        ("evt_old2", 31, "customer.subscription.updated", ""),
        ("evt_1", 29, "customer.created", ""),
        ("evt_2", 20, "customer.subscription.updated", ""),
        ("evt_3", 10, "invoice.paid", ""),
        ("evt_4", 5, "customer.subscription.deleted", ""),
        ("evt_5", 1, "customer.subscriptionx", ""),
        ("evt_a1", 2, "payout.paid", ACCT_A),
    ]:
        event = obj("event", evt_id, CLOCK - age_days * DAY, type=etype,
                    data={"object": {"id": "x"}}, api_version=stripe.api_version, _account=account)
        if account:
            event["account"] = account
        objects.append(event)
    objects += generic_objects()
    return objects


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return write_world(tmp_path_factory.mktemp("world") / "tiny.sqlite", world_objects(), clock=CLOCK)


@pytest.fixture(scope="module")
def running(world):
    with running_sandbox(world) as running:
        yield running


@pytest.fixture(scope="module")
def client(running):
    return stripe_client(running, max_network_retries=0)


def page_ids(client, path, limit=3, **params):
    """Every id of a list, read page by page with starting_after (the ingestion's way)."""
    ids, after = [], None
    while True:
        extra = {"starting_after": after} if after else {}
        page = client.deserialize(client.raw_request("get", path, limit=limit, **params, **extra),
                                  api_mode="V1")
        ids += [o["id"] for o in page["data"]]
        assert len(page["data"]) <= limit
        if not page["has_more"]:
            return ids
        after = page["data"][-1]["id"]


def store_ids(world, object_name, account=""):
    conn = sqlite3.connect(world)
    rows = conn.execute("SELECT id FROM objects WHERE object = ? AND account = ? "
                        "ORDER BY created DESC, seq DESC", (object_name, account)).fetchall()
    conn.close()
    return [r[0] for r in rows]


def test_every_listed_type_pages_completely(client, world):
    for kind in OBJECT_TYPES:
        if kind.path is None or kind.object in ("event", "subscription"):
            continue
        got = page_ids(client, kind.path)
        assert got == store_ids(world, kind.object), kind.object
        assert got, kind.object
    # generic types: the tie in created is broken by seq, later first
    assert page_ids(client, "/v1/refunds") == ["re_gen4", "re_gen3", "re_gen2", "re_gen1", "re_gen0"]


def test_customers_newest_first_with_tie(client):
    assert page_ids(client, "/v1/customers") == [
        "cus_7", "cus_6", "cus_5", "cus_4", "cus_3", "cus_2", "cus_1"]
    page = client.v1.customers.list({"limit": 3})
    assert [c.id for c in page.data] == ["cus_7", "cus_6", "cus_5"]
    assert page.has_more is True
    assert page.url == "/v1/customers"
    assert page.object == "list"
    assert [c.id for c in client.v1.customers.list({"limit": 100}).auto_paging_iter()] == [
        "cus_7", "cus_6", "cus_5", "cus_4", "cus_3", "cus_2", "cus_1"]
    # default limit is 10: all seven, no more
    default = client.v1.customers.list()
    assert len(default.data) == 7 and default.has_more is False


def test_ending_before_pages_backwards(client):
    # the page before cus_2 (newer than it), three closest, still newest first
    page = client.v1.customers.list({"limit": 3, "ending_before": "cus_2"})
    assert [c.id for c in page.data] == ["cus_5", "cus_4", "cus_3"]
    assert page.has_more is True
    page = client.v1.customers.list({"limit": 3, "ending_before": "cus_5"})
    assert [c.id for c in page.data] == ["cus_7", "cus_6"]
    assert page.has_more is False
    # starting_after across the tie: after cus_4 comes cus_3
    page = client.v1.customers.list({"limit": 2, "starting_after": "cus_4"})
    assert [c.id for c in page.data] == ["cus_3", "cus_2"]
    assert page.has_more is True
    # the SDK's backward auto-paging yields the nearer objects first
    backwards = client.v1.customers.list({"limit": 2, "ending_before": "cus_3"}).auto_paging_iter()
    assert [c.id for c in backwards] == ["cus_4", "cus_5", "cus_6", "cus_7"]


def test_created_filters(client):
    base = CLOCK - 100 * DAY
    assert page_ids(client, "/v1/customers", created={"gte": base + 300, "lt": base + 600}) == [
        "cus_5", "cus_4", "cus_3"]
    assert page_ids(client, "/v1/customers", created={"gt": base + 300, "lte": base + 600}) == [
        "cus_6", "cus_5"]
    assert page_ids(client, "/v1/customers", created=base + 300) == ["cus_4", "cus_3"]
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.customers.list({"created": {"after": 5}})
    assert err.value.param == "created[after]"
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.customers.list({"created": {"gte": "soon"}})
    assert err.value.param == "created[gte]"


def test_subscriptions_status(client):
    assert page_ids(client, "/v1/subscriptions") == ["sub_4", "sub_3", "sub_1"]
    assert page_ids(client, "/v1/subscriptions", status="all") == [
        "sub_5", "sub_4", "sub_3", "sub_2", "sub_1"]
    assert page_ids(client, "/v1/subscriptions", status="canceled") == ["sub_5", "sub_2"]
    assert page_ids(client, "/v1/subscriptions", status="all", customer="cus_3") == ["sub_3"]
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.subscriptions.list({"status": "sleeping"})
    assert err.value.param == "status"


def test_other_filters(client):
    assert page_ids(client, "/v1/invoices", customer="cus_2") == ["in_small"]
    assert page_ids(client, "/v1/invoices", subscription="sub_1") == ["in_big"]
    assert page_ids(client, "/v1/invoices", subscription="sub_3") == ["in_small"]  # basil+ shape
    assert page_ids(client, "/v1/charges", customer="cus_3") == ["ch_3"]
    assert page_ids(client, "/v1/balance_transactions", type="charge") == ["txn_p3", "txn_p2", "txn_p1"]
    assert page_ids(client, "/v1/balance_transactions", type="payment") == []


def test_invoice_lines_page_in_invoice_order(client):
    ids, after = [], None
    pages = 0
    while True:
        page = client.v1.invoices.line_items.list("in_big", {"limit": 3, **(
            {"starting_after": after} if after else {})})
        pages += 1
        assert page.url == "/v1/invoices/in_big/lines"
        ids += [line.id for line in page.data]
        if not page.has_more:
            break
        after = page.data[-1].id
    assert pages == 9
    assert ids == [f"il_{n:02d}" for n in range(1, 26)]
    assert sum(line.amount for line in client.v1.invoices.line_items.list(
        "in_big", {"limit": 100}).auto_paging_iter()) == 100 * (25 * 26 // 2)
    page = client.v1.invoices.line_items.list("in_big", {"limit": 2, "ending_before": "il_05"})
    assert [line.id for line in page.data] == ["il_03", "il_04"] and page.has_more is True
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.invoices.line_items.list("in_nope")
    assert err.value.http_status == 404


def test_transfer_reversals(client):
    page = client.v1.transfers.reversals.list("tr_1", {"limit": 2})
    assert [r.id for r in page.data] == ["trr_3", "trr_2"] and page.has_more is True
    assert page.url == "/v1/transfers/tr_1/reversals"
    assert [r.id for r in client.v1.transfers.reversals.list("tr_1", {"limit": 2}).auto_paging_iter()] \
        == ["trr_3", "trr_2", "trr_1"]
    assert client.v1.transfers.reversals.retrieve("tr_1", "trr_2").amount == 200
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.transfers.reversals.retrieve("tr_1", "trr_9")
    assert err.value.http_status == 404 and err.value.code == "resource_missing"


def test_events_retention_and_type_filters(client):
    assert page_ids(client, "/v1/events") == ["evt_5", "evt_4", "evt_3", "evt_2", "evt_1"]
    assert page_ids(client, "/v1/events", type="customer.subscription.*") == ["evt_4", "evt_2"]
    assert page_ids(client, "/v1/events", type="invoice.paid") == ["evt_3"]
    assert page_ids(client, "/v1/events", types=["invoice.paid", "customer.created"]) == [
        "evt_3", "evt_1"]
    assert page_ids(client, "/v1/events", created={"gte": CLOCK - 25 * DAY}) == [
        "evt_5", "evt_4", "evt_3", "evt_2"]
    assert client.v1.events.retrieve("evt_1").type == "customer.created"
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.events.retrieve("evt_old2")
    assert err.value.http_status == 404
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.events.list({"starting_after": "evt_old1"})
    assert err.value.param == "starting_after"
    # Connect events live on the account
    assert page_ids(client, "/v1/events", stripe_account=ACCT_A) == ["evt_a1"]


def test_stripe_account_scoping(client):
    assert page_ids(client, "/v1/balance_transactions", stripe_account=ACCT_A) == [
        "txn_a3", "txn_a2", "txn_a1"]
    assert page_ids(client, "/v1/payouts", stripe_account=ACCT_A) == ["po_a1"]
    assert page_ids(client, "/v1/payouts", stripe_account=ACCT_B) == []
    assert "po_a1" not in page_ids(client, "/v1/payouts")
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.payouts.retrieve("po_a1")  # not on the platform
    assert client.v1.payouts.retrieve("po_a1", options={"stripe_account": ACCT_A}).amount == 3000
    with pytest.raises(stripe.PermissionError) as err:
        client.v1.payouts.list(options={"stripe_account": "acct_unknown"})
    assert err.value.http_status == 403
    balance = client.v1.balance.retrieve(options={"stripe_account": ACCT_A})
    assert [(b.currency, b.amount) for b in balance.available] == [("usd", 500 + 1000 + 1500)]


def test_expand(client):
    charge = client.v1.charges.retrieve("ch_2", {"expand": ["customer", "balance_transaction"]})
    assert charge.customer.email == "c2@x.test"
    assert charge.balance_transaction.net == 2000 - 59
    page = client.v1.charges.list({"limit": 2, "expand": ["data.customer"]})
    assert [c.customer.id for c in page.data] == ["cus_3", "cus_2"]
    nested = client.v1.charges.retrieve("ch_1", {"expand": ["balance_transaction.source"]})
    assert nested.balance_transaction.source.amount == 1000
    for bad in (["nope"], ["amount"]):
        with pytest.raises(stripe.InvalidRequestError) as err:
            client.v1.charges.retrieve("ch_1", {"expand": bad})
        assert err.value.param == "expand"
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.charges.list({"expand": ["customer"]})  # lists expand data.<field>
    assert err.value.param == "expand"


def test_errors_have_stripes_shape(client, running):
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.charges.retrieve("ch_x")
    assert err.value.http_status == 404
    assert err.value.code == "resource_missing"
    assert err.value.param == "id"
    assert err.value.user_message == "No such charge: 'ch_x'"
    for limit in (0, 101):
        with pytest.raises(stripe.InvalidRequestError) as err:
            client.v1.charges.list({"limit": limit})
        assert err.value.param == "limit" and err.value.http_status == 400
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.charges.list({"colour": "blue"})
    assert err.value.param == "colour" and err.value.code == "parameter_unknown"
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.charges.list({"starting_after": "ch_missing"})
    assert err.value.param == "starting_after" and err.value.code == "resource_missing"
    with pytest.raises(stripe.InvalidRequestError) as err:
        client.v1.charges.list({"starting_after": "cus_1"})  # an id of another type
    assert err.value.param == "starting_after"
    wrong = "sk_test_51WrongKeyWrongKeyWrongKey9876"
    with pytest.raises(stripe.AuthenticationError) as err:
        stripe_client(running, api_key=wrong, max_network_retries=0).v1.charges.list()
    assert err.value.http_status == 401
    assert err.value.user_message == "Invalid API Key provided: sk_test_****9876"
    assert wrong not in str(err.value)


def test_basic_auth_and_missing_key(client, running):
    basic = "Basic " + base64.b64encode(f"{running.api_key}:".encode()).decode()
    page = client.deserialize(client.raw_request("get", "/v1/customers", limit=2,
                                                 headers={"Authorization": basic}), api_mode="V1")
    assert [c["id"] for c in page["data"]] == ["cus_7", "cus_6"]
    with pytest.raises(stripe.AuthenticationError) as err:
        client.raw_request("get", "/v1/customers", headers={"Authorization": ""})
    assert err.value.user_message.startswith("You did not provide an API key.")


def test_headers_date_is_world_clock(client):
    page = client.v1.customers.list({"limit": 1})
    headers = page.last_response.headers
    assert parsedate_to_datetime(headers["Date"]).timestamp() == CLOCK
    assert headers["Date"] == "Mon, 21 Sep 2026 14:13:20 GMT"
    assert headers["Stripe-Version"] == stripe.api_version
    assert headers["Content-Type"] == "application/json"
    assert headers["Request-Id"].startswith("req_")
    error_headers = None
    try:
        client.v1.customers.retrieve("cus_none")
    except stripe.InvalidRequestError as exc:
        error_headers = exc.headers
    assert error_headers["Date"] == "Mon, 21 Sep 2026 14:13:20 GMT"
