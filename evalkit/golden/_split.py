"""Deterministic, hash-based holdout assignment, stratified per segment with a floor.

Existing cases keep their split. In each stratum (segment) the holdout quota is
``round(holdout * n)`` over all ``n`` cases, bounded so that each split holds at least
``ceil(floor * n)`` (at least one, when ``floor > 0``) cases when ``n >= 2``: rare segments
are in both splits. New cases fill what the quota still lacks in the order of their position
``u = sha256(salt:case_id)`` in ``[0, 1)``, so the assignment is deterministic, independent of
input order, and appending cases never moves an existing one. When existing cases already
exceed the quota, every new case goes to ``active`` (nothing is moved back).
"""

from __future__ import annotations

import hashlib
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence


def unit_position(case_id: str, salt: str = "") -> float:
    """Map a case id to ``[0, 1)`` with sha256 (same id and salt -> same number)."""
    h = hashlib.sha256(f"{salt}:{case_id}".encode()).digest()
    return int.from_bytes(h[:8], "big") / 2.0**64


def assign_splits(
    case_ids: Sequence[str],
    strata: Sequence[str],
    *,
    existing: Mapping[str, str],
    holdout: float,
    floor: float,
    salt: str = "",
) -> dict[str, str]:
    """Return ``case_id -> 'active' | 'holdout'`` for the new ids (not in ``existing``).

    ``existing`` maps every case already in the set to its split (``retired`` ones count for
    neither split). Floors are met using new cases only.

    Examples
    --------
    >>> ids = [f"c{i}" for i in range(10)]
    >>> out = assign_splits(ids, ["a"] * 8 + ["rare"] * 2, existing={}, holdout=0.3, floor=0.15)
    >>> sorted(out[c] for c in ("c8", "c9"))  # the 2-case segment lands in both splits
    ['active', 'holdout']
    """
    by_stratum: dict[str, list[str]] = defaultdict(list)
    for cid, s in zip(case_ids, strata, strict=True):
        by_stratum[s].append(cid)
    out: dict[str, str] = {}
    for ids in by_stratum.values():
        new = [c for c in ids if c not in existing]
        if not new:
            continue
        held = sum(existing.get(c) == "holdout" for c in ids)
        n = held + sum(existing.get(c) == "active" for c in ids) + len(new)
        quota = round(holdout * n)
        if n >= 2 and floor > 0:
            need = max(1, math.ceil(floor * n))
            quota = min(max(quota, need), n - need)
        # the new cases with the smallest hash positions fill the stratum's holdout quota
        order = sorted(new, key=lambda c: (unit_position(c, salt), c))
        k = min(max(quota - held, 0), len(new))
        for i, c in enumerate(order):
            out[c] = "holdout" if i < k else "active"
    return out
