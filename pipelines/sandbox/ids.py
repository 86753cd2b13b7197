"""Deterministic Stripe-like ids: a prefix and 24 base62 characters drawn from a seeded RNG.

A separate RNG from the simulation's, so adding an id never shifts the simulated behaviour.
"""
from __future__ import annotations

import random

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_LEN = 24
_BITS = 143  # 62**24 < 2**143


class IdMaker:
    def __init__(self, seed: int):
        self.rng = random.Random(f"ids:{seed}")

    def token(self, length: int = _LEN) -> str:
        n = self.rng.getrandbits(_BITS if length == _LEN else 6 * length)
        chars = []
        for _ in range(length):
            n, r = divmod(n, 62)
            chars.append(ALPHABET[r])
        return "".join(chars)

    def new(self, prefix: str, length: int = _LEN) -> str:
        return prefix + self.token(length)

    def hex(self, length: int) -> str:
        return f"{self.rng.getrandbits(4 * length):0{length}X}"
