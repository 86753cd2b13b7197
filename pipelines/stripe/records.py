"""Objects to landing rows, and the nested lists that land with or beside their parent.

Pure functions over parsed JSON: no I/O here, so the rules are tested with plain dicts."""
from __future__ import annotations

from hashlib import md5
from typing import Any, NamedTuple

import orjson


def payload_hash(payload: bytes) -> int:
    """The low 64 bits of the payload's MD5, the number DuckDB's `md5_number_lower(payload)`
    gives (the digest's last 8 bytes, little-endian). Computed where the payload is made, in the
    reader thread or the parser process: DuckDB hashed about 200-300 MB/s inside the writer, which
    is the ingest's critical path (8-12 us of a 2.6 KB charge), hashlib about twice that and
    (beyond 2 KB) without the GIL."""
    return int.from_bytes(md5(payload).digest()[8:], "little")


class Row(NamedTuple):
    """One landing row. `observed_at` orders versions of an object: the server time of the
    list/retrieve answer, or the event's `created`; the newest wins on upsert.

    A named tuple, not a frozen dataclass: a frozen dataclass sets each of its ten fields
    through object.__setattr__, about 1.5 us per row, a twentieth of the replay's budget."""
    table: str
    id: str
    account: str | None
    created: int
    livemode: bool | None
    api_version: str | None
    # the object's JSON as orjson writes it, UTF-8 bytes: kept as orjson's bytes from parser to
    # Arrow, it is never decoded and re-encoded (str, from hand-made rows, lands the same)
    payload: bytes | str
    source: str            # list / event / retrieve
    is_deleted: bool
    observed_at: int
    payload_hash: int | None = None    # `payload_hash(payload)`; None: the landing computes it


def to_row(table: str, obj: dict[str, Any], *, account: str | None, api_version: str | None,
           source: str, observed_at: int, is_deleted: bool = False) -> Row:
    payload = orjson.dumps(obj)
    return Row(
        table=table,
        id=obj["id"],
        account=account,
        created=obj["created"],
        livemode=obj.get("livemode"),
        api_version=api_version,
        payload=payload,
        source=source,
        is_deleted=is_deleted,
        observed_at=observed_at,
        payload_hash=payload_hash(payload),
    )


def invoice_lines_incomplete(invoice: dict[str, Any]) -> bool:
    lines = invoice.get("lines")
    return isinstance(lines, dict) and bool(lines.get("has_more"))


def merge_invoice_lines(invoice: dict[str, Any], more_lines: list[dict[str, Any]]) -> dict[str, Any]:
    """The invoice with `lines.data` holding every line (first page + the pages read after it)."""
    lines = dict(invoice.get("lines") or {})
    seen = {line.get("id") for line in lines.get("data") or []}
    data = list(lines.get("data") or [])
    data.extend(line for line in more_lines if line.get("id") not in seen)
    lines["data"] = data
    lines["has_more"] = False
    merged = dict(invoice)
    merged["lines"] = lines
    return merged


def embedded_reversals(transfer: dict[str, Any]) -> tuple[list[dict[str, Any]], bool]:
    """(reversals embedded in the transfer, whether more must be paged from the endpoint).

    A transfer that says it was reversed but embeds no list is paged too."""
    rev = transfer.get("reversals")
    if isinstance(rev, dict):
        data = [r for r in rev.get("data") or []]
        return data, bool(rev.get("has_more"))
    reversed_any = bool(transfer.get("reversed")) or (transfer.get("amount_reversed") or 0) > 0
    return [], reversed_any
