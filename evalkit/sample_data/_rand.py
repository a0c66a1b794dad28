"""Seeded random draws the generator and the writers share: picks and ids (alnum, hex, UUID)."""

from __future__ import annotations

import string
from typing import Any

import numpy as np

_ALNUM = np.array(list(string.ascii_letters + string.digits))


def _pick(rng: np.random.Generator, seq: list[Any] | tuple[Any, ...]) -> Any:
    return seq[int(rng.integers(len(seq)))]


def _weighted(rng: np.random.Generator, weights: dict[str, float]) -> str:
    keys = list(weights)
    p = np.array([weights[k] for k in keys], dtype=float)
    return keys[int(rng.choice(len(keys), p=p / p.sum()))]


def rand_alnum(rng: np.random.Generator, n: int) -> str:
    """Return ``n`` random letters/digits."""
    return "".join(_ALNUM[rng.integers(len(_ALNUM), size=n)])


def rand_hex(rng: np.random.Generator, n_bytes: int) -> str:
    """Return ``2 * n_bytes`` random hex digits."""
    return rng.bytes(n_bytes).hex()


def rand_uuid(rng: np.random.Generator) -> str:
    """Return a random version-4 UUID string."""
    b = bytearray(rng.bytes(16))
    b[6] = (b[6] & 0x0F) | 0x40
    b[8] = (b[8] & 0x3F) | 0x80
    h = bytes(b).hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
