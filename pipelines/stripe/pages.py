"""A list page of a plain object type decoded, validated and turned into rows by one pure function.

Plain types are those whose objects land as they are listed: not invoices (their lines may have to
be paged), not transfers (their reversals land beside them), not events (each is applied to its
object's table). For these the whole page, from the answer's bytes to rows and rejects, is
`parse_page`, so it can run in the reader thread or in the parser process
(`pipelines.stripe.parse_worker`) with the same result. It lands each object exactly as
`readers.PageBuilder.land` does (same rows, same rejects, same counts).
"""
from __future__ import annotations

from typing import NamedTuple

import orjson

from pipelines.catalog import BY_OBJECT
from pipelines.stripe.records import Row, payload_hash
from pipelines.stripe.rejects import Rejected, problem_with, reject

NOT_PLAIN = frozenset({"invoice", "transfer", "event"})


def is_plain(object_type: str) -> bool:
    return object_type not in NOT_PLAIN and object_type in BY_OBJECT


class ParsedPage(NamedTuple):
    rows: list[Row]
    rejects: list[Rejected]
    received: int                  # objects in the page (landed + rejected)
    has_more: bool
    page_max: int | None           # newest `created` among the landed objects
    last_id: str | None            # id of the last object that has one (the next page's cursor)
    shape_problem: bytes | None    # the page re-serialised when it has no `data` list / `has_more` flag


def parse_page(body: bytes, object_type: str, table: str, account: str | None,
               api_version: str | None, observed_at: int) -> ParsedPage:
    """Raises ValueError when `body` is not a JSON object (the client retries such an answer)."""
    data = orjson.loads(body)
    if not isinstance(data, dict):
        raise ValueError("the answer is not a JSON object")
    items, has_more = data.get("data"), data.get("has_more")
    if not isinstance(items, list) or not isinstance(has_more, bool):
        return ParsedPage([], [], 0, False, None, None, orjson.dumps(data))
    rows: list[Row] = []
    rejects: list[Rejected] = []
    append = rows.append
    dumps = orjson.dumps
    digest = payload_hash
    page_max: int | None = None
    last_id: str | None = None
    for obj in items:
        if isinstance(obj, dict):
            oid = obj.get("id")
            if isinstance(oid, str):
                last_id = oid
        problem = problem_with(obj, object_type)
        if problem:
            rejects.append(reject(obj, table, account, *problem))
            continue
        created = obj["created"]
        payload = dumps(obj)
        append(Row(table, obj["id"], account, created, obj.get("livemode"), api_version,
                   payload, "list", False, observed_at, digest(payload)))
        if page_max is None or created > page_max:
            page_max = created
    return ParsedPage(rows, rejects, len(items), has_more, page_max, last_id, None)
