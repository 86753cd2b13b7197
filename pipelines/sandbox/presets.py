"""World sizes. `small` is the test fixture, `demo` the founding brief's platform, `large` 10x it."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Preset:
    name: str
    creators: int
    active_subscribers_end: int  # target of active subscriptions at the end of history
    months: int
    monthly_growth: float        # growth of the signup rate per month
    card_testing_bursts_per_month: float
    fraud_rings: int
    # stolen-card fraudsters per genuine signup, and fans' accounts taken over per 1,000 active
    # subscriptions a month: the background fraud, which carries the signals real fraud does
    stolen_card_share: float = 0.012
    takeovers_per_1000_active_month: float = 0.3


PRESETS: dict[str, Preset] = {
    "tiny": Preset("tiny", 8, 60, 2, 0.10, 1.0, 1),       # for fast determinism tests
    "small": Preset("small", 50, 850, 6, 0.10, 1.5, 2),
    "demo": Preset("demo", 500, 8_600, 24, 0.07, 2.0, 5),
    "large": Preset("large", 5_000, 70_000, 12, 0.06, 6.0, 20),
}


def get_preset(name: str) -> Preset:
    try:
        return PRESETS[name]
    except KeyError:
        raise ValueError(f"unknown sandbox size {name!r}; choose one of {sorted(PRESETS)}") from None
