"""Where the customer is, for VAT: billing address, IP address and card issuing country.

Council Implementing Regulation (EU) No 282/2011 art. 24b(d) and 24f let the supplier rely on
two non-contradictory pieces of evidence. Two that agree decide; when no two agree (or fewer
than two exist) the sale is listed for review instead of guessed.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass


@dataclass(frozen=True)
class LocationDecision:
    source_id: str
    country: str | None  # ISO 3166 alpha-2, None when undecided
    evidence: dict[str, str | None]
    agreeing: tuple[str, ...]  # which kinds of evidence decided
    conflict: bool  # no two agree: needs review
    dissent: str | None = None  # the one piece that disagreed with a decided majority

    @property
    def note(self) -> str:
        if self.conflict:
            return "no two pieces of evidence agree: review before filing"
        if self.dissent:
            return f"{self.dissent} disagrees with the other two; kept for the audit file"
        return ""


def _norm(value: str | None) -> str | None:
    code = (value or "").strip().upper()
    return code or None


def decide(source_id: str, billing: str | None, ip: str | None, card: str | None) -> LocationDecision:
    evidence = {"billing": _norm(billing), "ip": _norm(ip), "card": _norm(card)}
    counts = Counter(v for v in evidence.values() if v)
    if counts:
        country, n = counts.most_common(1)[0]
        if n >= 2:
            agreeing = tuple(k for k, v in evidence.items() if v == country)
            dissent = next((k for k, v in evidence.items() if v and v != country), None)
            return LocationDecision(source_id, country, evidence, agreeing, False, dissent)
    return LocationDecision(source_id, None, evidence, (), True)


def decide_all(rows: list[dict]) -> tuple[list[LocationDecision], list[LocationDecision]]:
    """Rows with source_id, billing_country, ip_country, card_country -> (decided, conflicts)."""
    decided, conflicts = [], []
    for row in rows:
        decision = decide(row["source_id"], row.get("billing_country"), row.get("ip_country"), row.get("card_country"))
        (conflicts if decision.conflict else decided).append(decision)
    return decided, conflicts
