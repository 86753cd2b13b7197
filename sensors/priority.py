"""Run priorities (DESIGN 8): payments critical, payouts high, tax medium, analytics low, bulk batch.

`dagster/priority` is what Dagster's run queue reads (a higher number is dequeued first); the two
`cashbook/` tags say the same in words for the UI's run filters. Every job carries one set. This
module imports nothing of ours, so any asset module can use it without an import cycle.
"""
from __future__ import annotations

PRIORITY = {"critical": "10", "high": "5", "medium": "0", "low": "-5", "batch": "-10"}


def priority_tags(level: str, area: str) -> dict[str, str]:
    return {"dagster/priority": PRIORITY[level], "cashbook/priority": level, "cashbook/area": area}


PAYMENTS_TAGS = priority_tags("critical", "payments")
PAYOUTS_TAGS = priority_tags("high", "payouts")
TAX_TAGS = priority_tags("medium", "tax")
ANALYTICS_TAGS = priority_tags("low", "analytics")
BULK_TAGS = priority_tags("batch", "bulk")
