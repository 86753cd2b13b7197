"""A plain list page decoded by `pages.parse_page` (in the reader thread or in the parser process)
lands exactly what `readers.PageBuilder.land` lands for the same objects: rows, rejects with their
field and reason, counts and cursor; an unparseable answer is a ValueError either way; a parser
process that dies leaves the run parsing in its threads."""
from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import orjson
import pytest

from pipelines.stripe.pages import is_plain, parse_page
from pipelines.stripe.parse_worker import PROTOCOL, PageParser
from pipelines.stripe.readers import Batch, PageBuilder

FIXTURES = json.loads(
    (Path(__file__).resolve().parents[2].parent / "shared" / "stripe" / "fixtures3.json").read_text()
)["resources"]


def _page(object_name: str, has_more: bool = True) -> bytes:
    good = FIXTURES[object_name]
    objs = [{**good, "id": f"{good['id']}_{i}", "created": good["created"] + i} for i in range(5)]
    objs += [
        {**good, "id": "bad_amount", "amount": -5},               # money rule
        {**good, "id": "bad_created", "created": "yesterday"},    # type rule
        {**good, "id": "bad_object", "object": "refund"},         # another type in the stream
        {**good, "id": "", "created": good["created"] + 99},      # empty id: rejected, not a cursor
        ["not", "an", "object"],
        {**good, "id": "bad_livemode", "livemode": "no", "description": "caf\u00e9 \u2713 \"q\""},
        {**good, "id": "last_good", "metadata": {"note": "caf\u00e9, \u2713 {\"x\": [1, 2.5]}"}},
    ]
    return orjson.dumps({"object": "list", "data": objs, "has_more": has_more,
                         "url": "/v1/x"})


def _landed_by_builder(body: bytes, object_name: str, account, api_version, observed_at):
    """What the generic reader path (PageBuilder.land, one object at a time) makes of the page."""
    batch = Batch()
    builder = PageBuilder(ctx=None, batch=batch)
    page_max = last_id = None
    for obj in orjson.loads(body)["data"]:
        if isinstance(obj, dict) and isinstance(obj.get("id"), str):
            last_id = obj["id"]
        if builder.land(obj, object_name, account, source="list", observed_at=observed_at,
                        api_version=api_version):
            page_max = obj["created"] if page_max is None else max(page_max, obj["created"])
    return batch, page_max, last_id


@pytest.mark.parametrize("object_name", ["charge", "balance_transaction", "customer", "payout"])
@pytest.mark.parametrize("account", [None, "acct_1"])
def test_parse_page_lands_what_the_object_by_object_path_lands(object_name, account):
    assert is_plain(object_name)
    body = _page(object_name)
    page = parse_page(body, object_name, object_name, account, "2025-03-31.basil", 1_700_000_000)
    batch, page_max, last_id = _landed_by_builder(body, object_name, account, "2025-03-31.basil",
                                                  1_700_000_000)
    assert page.rows == batch.rows and len(page.rows) >= 5
    assert page.rejects == batch.rejects
    assert Counter({object_name: page.received}) == batch.received
    assert Counter({object_name: len(page.rejects)}) == batch.rejected
    assert (page.page_max, page.last_id, page.has_more, page.shape_problem) == \
        (page_max, last_id, True, None)
    # the payload is the object's JSON as orjson writes it, non-ASCII text included
    assert orjson.loads(page.rows[-1].payload)["metadata"]["note"] == "caf\u00e9, \u2713 {\"x\": [1, 2.5]}"


def test_types_with_nested_lists_or_events_are_not_plain():
    assert not any(is_plain(t) for t in ("invoice", "transfer", "event", "transfer_reversal_x"))


def test_a_page_without_data_or_has_more_is_returned_for_the_page_reject():
    page = parse_page(b'{"object":"list","data":{"x":1}}', "charge", "charge", None, None, 1)
    assert page.shape_problem == b'{"object":"list","data":{"x":1}}' and page.rows == []


@pytest.mark.parametrize("body", [b'{"object":"list","data":[{"id":', b"[1, 2]", b""])
def test_unparseable_answers_raise_value_error(body):
    with pytest.raises(ValueError):
        parse_page(body, "charge", "charge", None, None, 1)


def test_the_parser_process_returns_what_the_thread_would():
    parser = PageParser(True)
    try:
        for object_name in ("charge", "payout"):
            body = _page(object_name, has_more=False)
            args = (body, object_name, object_name, "acct_9", "v1", 42)
            assert parser.parse(*args) == parse_page(*args)
        assert parser._proc is not None and parser._proc.poll() is None   # it really ran there
        for bad in (b'{"data": [', b'"a string"'):
            with pytest.raises(ValueError) as in_process:
                parser.parse(bad, "charge", "charge", None, None, 1)
            with pytest.raises(ValueError) as in_thread:
                parse_page(bad, "charge", "charge", None, None, 1)
            assert str(in_process.value) == str(in_thread.value)
        proc = parser._proc
    finally:
        parser.close()
    assert proc.poll() is not None    # closed: the child has exited


def test_pages_of_every_shape_cross_the_process_unchanged():
    """Rows cross the pipe as columns: an empty page, a page of rejects only and a page without
    its list come back as the thread makes them."""
    parser = PageParser(True)
    bodies = [b'{"object":"list","data":[],"has_more":false}',
              b'{"object":"list","data":[1,{"id":"x"}],"has_more":true}',
              b'{"object":"list","data":{"x":1}}', _page("customer")]
    try:
        for body in bodies:
            args = (body, "customer", "customer", None, None, 3)
            assert parser.parse(*args) == parse_page(*args)
        assert parser._proc is not None and not parser._failed
    finally:
        parser.close()


def test_a_dead_parser_process_falls_back_to_parsing_in_the_thread():
    parser = PageParser(True)
    body = _page("charge")
    args = (body, "charge", "charge", None, "v1", 7)
    try:
        assert parser.parse(*args) == parse_page(*args)
        parser._proc.kill()
        parser._proc.wait()
        assert parser.parse(*args) == parse_page(*args)
        assert parser._proc is None and parser._failed
    finally:
        parser.close()


def test_a_child_of_another_protocol_exits_and_the_thread_parses():
    """A parent that loaded this module before the file changed starts a child of the new code:
    the child refuses at once instead of both waiting on their pipes."""
    parser = PageParser(True)
    parser._proc = parser._start(protocol=PROTOCOL - 1)
    args = (_page("charge"), "charge", "charge", None, "v1", 7)
    try:
        assert parser.parse(*args) == parse_page(*args)
        assert parser._failed and parser._proc is None
    finally:
        parser.close()


def test_the_parser_process_gets_no_credentials(monkeypatch):
    monkeypatch.setenv("STRIPE_API_KEY", "sk_test_secret")
    monkeypatch.setenv("WAREHOUSE_URL", "postgresql://u:pw@h/db")
    parser = PageParser(True)
    try:
        parser.parse(_page("charge"), "charge", "charge", None, "v1", 7)
        environ = Path(f"/proc/{parser._proc.pid}/environ").read_bytes()
    finally:
        parser.close()
    assert b"sk_test_secret" not in environ and b"pw@h" not in environ


def test_no_parser_process_without_processes():
    parser = PageParser(False)
    args = (_page("charge"), "charge", "charge", None, "v1", 7)
    assert parser.parse(*args) == parse_page(*args)
    assert parser._proc is None
