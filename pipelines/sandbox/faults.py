"""Faults the sandbox server injects on purpose, so that retry and backoff code is proven against
the failures the real API produces (429s, 500/502s, slow answers, connections dropped mid-flight).

A spec such as ``"429=0.05,500=0.03,502=0.02,drop=0.01,latency=20ms,seed=7"`` becomes a
`FaultConfig`; `FaultConfig.injector()` draws one decision per request from its own seeded RNG,
so a run with the same seed and the same request order sees the same faults.
"""
from __future__ import annotations

import random
import threading
from collections import Counter
from dataclasses import dataclass

STATUS_FAULTS = (429, 500, 502)


@dataclass(frozen=True)
class FaultConfig:
    p429: float = 0.0
    p500: float = 0.0
    p502: float = 0.0
    drop: float = 0.0
    latency_s: float = 0.0
    seed: int = 0

    def __post_init__(self) -> None:
        total = self.p429 + self.p500 + self.p502 + self.drop
        if total > 1.0:
            raise ValueError(f"fault shares add up to {total:.3f}, more than 1")
        if self.latency_s < 0:
            raise ValueError("fault latency must not be negative")

    @property
    def active(self) -> bool:
        return bool(self.p429 or self.p500 or self.p502 or self.drop or self.latency_s)

    def injector(self) -> "FaultInjector":
        return FaultInjector(self)


class FaultInjector:
    """One seeded stream of decisions shared by all server threads (a lock keeps it ordered)."""

    def __init__(self, config: FaultConfig) -> None:
        self.config = config
        self._rng = random.Random(config.seed)
        self._lock = threading.Lock()
        self.counts: Counter[str | int | None] = Counter()  # what was injected, for tests and logs

    def decide(self) -> str | int | None:
        """None (answer normally), 429/500/502 (answer with that error) or "drop"."""
        with self._lock:
            draw = self._rng.random()
            outcome = self._outcome(draw)
            self.counts[outcome] += 1
        return outcome

    def _outcome(self, draw: float) -> str | int | None:
        c = self.config
        for outcome, share in ((429, c.p429), (500, c.p500), (502, c.p502), ("drop", c.drop)):
            if draw < share:
                return outcome
            draw -= share
        return None


def _parse_share(name: str, text: str) -> float:
    try:
        share = float(text)
    except ValueError:
        raise ValueError(f"fault {name!r}: share {text!r} is not a number") from None
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"fault {name!r}: share {text!r} must be between 0 and 1")
    return share


def _parse_duration(text: str) -> float:
    """`20ms`, `0.5s` or a bare number of milliseconds, in seconds."""
    raw = text.strip().lower()
    try:
        if raw.endswith("ms"):
            return float(raw[:-2]) / 1000.0
        if raw.endswith("s"):
            return float(raw[:-1])
        return float(raw) / 1000.0
    except ValueError:
        raise ValueError(f"fault 'latency': {text!r} is not a duration like 20ms or 0.5s") from None


def parse_faults(spec: str | None) -> FaultConfig:
    """Parse a comma-separated spec; an empty spec means no faults."""
    values: dict[str, float | int] = {}
    for part in (spec or "").split(","):
        part = part.strip()
        if not part:
            continue
        name, sep, value = part.partition("=")
        name = name.strip().lower()
        if not sep:
            raise ValueError(f"fault {part!r}: expected name=value")
        if name in ("429", "500", "502"):
            values[f"p{name}"] = _parse_share(name, value)
        elif name == "drop":
            values["drop"] = _parse_share(name, value)
        elif name == "latency":
            values["latency_s"] = _parse_duration(value)
        elif name == "seed":
            try:
                values["seed"] = int(value)
            except ValueError:
                raise ValueError(f"fault 'seed': {value!r} is not an integer") from None
        else:
            raise ValueError(
                f"unknown fault {name!r}: use 429=, 500=, 502=, drop=, latency= or seed="
            )
    return FaultConfig(**values)  # type: ignore[arg-type]
