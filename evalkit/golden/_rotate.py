"""Holdout rotation (graduate, retire, refill) and the holdout's status with an age warning."""

from __future__ import annotations

import html
import math
import os
import warnings
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evalkit.golden._errors import GoldenError, HoldoutAgeWarning
from evalkit.golden._export import now_iso, whoami, write_cases_and_manifest
from evalkit.golden._load import read_cases


def rotate(
    path: str | os.PathLike[str], *, fraction: float = 0.25,
    rng: np.random.Generator | int | None = None,
) -> dict[str, Any]:
    """Rotate the holdout: graduate part of it, retire the oldest active cases, refill it.

    Per segment: ``ceil(fraction * holdout)`` holdout cases (drawn with ``rng``) graduate to
    active; as many active cases move into the holdout (those exported since the last rotation
    first, then the newest others), so the holdout keeps its size; and as many of the oldest
    active cases (by ``added_at``) retire, never taking a split below one case. Every move
    is recorded in the manifest's rotation log.

    Returns
    -------
    dict
        The rotation record: ``time, who, fraction, graduated, sealed, retired`` (counts).

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> from evalkit.golden import export_golden, load_golden
    >>> tr = pd.DataFrame({"trace_id": [f"t{i}" for i in range(20)], "input": ["q"] * 20})
    >>> lab = pd.DataFrame({"trace_id": tr["trace_id"], "verdict": ["pass"] * 20})
    >>> path = tempfile.mkdtemp() + "/gold"
    >>> _ = export_golden(tr, lab, path, redact=False)
    >>> rec = rotate(path, fraction=0.5, rng=0)
    >>> rec["graduated"], rec["retired"]
    (3, 3)
    """
    if isinstance(fraction, bool) or not isinstance(fraction, (int, float)) or \
            not 0 < fraction <= 1:
        raise GoldenError(f"`fraction` must be in (0, 1]; got {fraction!r}.")
    p = Path(os.fspath(path))
    manifest, cases = read_cases(p)
    gen = np.random.default_rng(rng)
    last = manifest["holdout"].get("last_rotated")
    by_seg: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for c in cases:
        by_seg[c["segment"]].append(c)
    moved = {"graduated": 0, "sealed": 0, "retired": 0}
    for seg in sorted(by_seg):
        group = by_seg[seg]
        hold = sorted((c for c in group if c["split"] == "holdout"), key=lambda c: c["case_id"])
        active = [c for c in group if c["split"] == "active"]
        k = min(math.ceil(fraction * len(hold)), len(hold))
        if k == 0:
            continue
        picks = gen.choice(len(hold), k, replace=False)
        grads = [hold[i] for i in sorted(picks)]
        # refill: cases exported since the last rotation first, then the newest other active
        newcomers = sorted(active, key=lambda c: (last is None or c["added_at"] > last,
                                                  c["added_at"], c["case_id"]), reverse=True)
        seal = newcomers[:k]
        for c in grads:
            c["split"] = "active"
        for c in seal:
            c["split"] = "holdout"
        sealed_ids = {c["case_id"] for c in seal} | {c["case_id"] for c in grads}
        oldest = sorted((c for c in active if c["case_id"] not in sealed_ids),
                        key=lambda c: (c["added_at"], c["case_id"]))
        n_active_after = len(active) - len(seal) + len(grads)
        n_retire = min(len(grads), len(oldest), max(n_active_after - 1, 0))
        for c in oldest[:n_retire]:
            c["split"] = "retired"
        moved["graduated"] += len(grads)
        moved["sealed"] += len(seal)
        moved["retired"] += n_retire
    record = {"time": now_iso(), "who": whoami(), "fraction": fraction, **moved}
    manifest["holdout"]["rotations"].append(record)
    manifest["holdout"]["last_rotated"] = record["time"]
    write_cases_and_manifest(p, cases, manifest)
    return record


@dataclass(frozen=True, slots=True, kw_only=True)
class HoldoutStatus:
    """When the holdout was last rotated and read, its size, and whether it is too old.

    Attributes
    ----------
    statistic : float
        Age of the holdout in days (since the last rotation, else since creation).
    n_holdout, n_active, n_retired : int
        Cases per split.
    last_rotated, last_read, created_at : str or None
        ISO times.
    n_reads : int
        Entries in the access log.
    max_age_days : float
        The age past which :attr:`stale` is True (and a warning is issued).
    stale : bool
    """

    statistic: float
    n_holdout: int
    n_active: int
    n_retired: int
    last_rotated: str | None
    last_read: str | None
    created_at: str | None
    n_reads: int
    max_age_days: float
    stale: bool

    def to_frame(self) -> pd.DataFrame:
        """One-row frame of the status."""
        return pd.DataFrame([{f: getattr(self, f) for f in self.__slots__}])

    def _repr_html_(self) -> str:
        rows = "".join(f"<tr><th>{html.escape(f)}</th><td>{html.escape(str(getattr(self, f)))}"
                       "</td></tr>" for f in self.__slots__)
        return f"<table><caption>Holdout status</caption>{rows}</table>"


def holdout_status(
    path: str | os.PathLike[str], *, max_age_days: float = 90.0, now: datetime | None = None,
) -> HoldoutStatus:
    """Say when the holdout was last rotated and read; warn when it is older than ``max_age_days``.

    Warns
    -----
    HoldoutAgeWarning
        The last rotation (or creation) is more than ``max_age_days`` ago.

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> from evalkit.golden import export_golden
    >>> tr = pd.DataFrame({"trace_id": list("abcd"), "input": ["q"] * 4})
    >>> path = tempfile.mkdtemp() + "/gold"
    >>> _ = export_golden(tr, tr.assign(verdict="pass")[["trace_id", "verdict"]], path,
    ...                   redact=False)
    >>> st = holdout_status(path)
    >>> st.n_holdout, st.stale, st.last_read
    (1, False, None)
    """
    p = Path(os.fspath(path))
    manifest, cases = read_cases(p)
    h = manifest["holdout"]
    since = h.get("last_rotated") or manifest.get("created_at")
    t = now or datetime.now(UTC)
    age = (t - datetime.fromisoformat(since)).total_seconds() / 86400 if since else math.nan
    log = manifest.get("access_log", [])
    n = {s: sum(c["split"] == s for c in cases) for s in ("holdout", "active", "retired")}
    status = HoldoutStatus(
        statistic=age, n_holdout=n["holdout"], n_active=n["active"], n_retired=n["retired"],
        last_rotated=h.get("last_rotated"), last_read=log[-1]["time"] if log else None,
        created_at=manifest.get("created_at"), n_reads=len(log), max_age_days=max_age_days,
        stale=bool(age > max_age_days),
    )
    if status.stale:
        warnings.warn(
            f"{p}: the holdout was last rotated {age:.0f} days ago (limit {max_age_days:g}); "
            "rotate it with evalkit.golden.rotate.", HoldoutAgeWarning, stacklevel=2,
        )
    return status
