"""Deterministic Stripe-like ids: a prefix and 24 base62 characters drawn from a seeded RNG.

A separate RNG from the simulation's, so adding an id never shifts the simulated behaviour.
"""
from __future__ import annotations

import random

ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
_LEN = 24


_TABLE = bytes(ord(ALPHABET[b % 62]) for b in range(256))  # byte -> base62 (tiny, harmless bias)


class IdMaker:
    def __init__(self, seed: int):
        self.rng = random.Random(f"ids:{seed}")

    def token(self, length: int = _LEN) -> str:
        """`length` base62 characters: random bytes mapped through a table (C speed).

        `getrandbits(8n).to_bytes(n, "little")` is exactly `Random.randbytes(n)` (CPython's own
        definition), written out to save a Python call per id: the same seed gives the same ids."""
        return self.rng.getrandbits(length * 8).to_bytes(length, "little").translate(_TABLE).decode("ascii")

    def new(self, prefix: str, length: int = _LEN) -> str:
        return prefix + self.rng.getrandbits(length * 8).to_bytes(length, "little").translate(_TABLE).decode("ascii")

    def hex(self, length: int) -> str:
        return f"{self.rng.getrandbits(4 * length):0{length}X}"
