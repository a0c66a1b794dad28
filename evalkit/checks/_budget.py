"""Budgets: latency, tokens and cost under a limit, overall or per segment.

Vectorised over the numeric canonical columns (``latency_ms``, ``input_tokens`` +
``output_tokens``, ``cost_usd``); a trace that records none of the budgeted quantities is ``n/a``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from evalkit.checks import _frame as F
from evalkit.checks._core import FAIL, NA, Check, CheckError, Verdicts, verdicts_from

_LIMITS = ("latency_ms", "tokens", "cost_usd")
_UNIT = {"latency_ms": "ms", "tokens": "tokens", "cost_usd": "USD"}


def _limit(value: Any, what: str) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
        raise CheckError(f"`{what}` must be a positive number or None; got {value!r}.")
    return float(value)


def budget(*, latency_ms: float | None = None, tokens: float | None = None,
           cost_usd: float | None = None,
           by_segment: Mapping[str, Mapping[str, float | None]] | None = None,
           segment_column: str = "segment", name: str = "budget") -> Check:
    """Latency, tokens (input + output) and cost stay within their limits.

    Parameters
    ----------
    latency_ms, tokens, cost_usd : float, optional
        Default limits (``None``: not budgeted).
    by_segment : mapping, optional
        Per-segment overrides, e.g. ``{"outage": {"latency_ms": 4000}}`` (a ``None`` limit
        removes the budget there).
    segment_column : str, default 'segment'
    name : str, default 'budget'

    Returns
    -------
    Check
        ``fail`` naming every exceeded limit; ``n/a`` when no budgeted quantity is recorded.
        A quantity that is missing on a trace is not checked there.

    Examples
    --------
    >>> import pandas as pd, evalkit
    >>> t = pd.DataFrame({"trace_id": ["a", "b", "c"], "segment": ["x", "y", "y"],
    ...                   "latency_ms": [900.0, 2500.0, None]})
    >>> c = budget(latency_ms=3000, by_segment={"y": {"latency_ms": 2000}})
    >>> evalkit.run_checks(t, [c], by=None).frame[["verdict", "reason"]].values.tolist()
    [['pass', ''], ['fail', 'latency_ms 2500 > 2000 ms'], ['n/a', 'no budgeted quantity recorded']]
    """
    default = {"latency_ms": _limit(latency_ms, "latency_ms"), "tokens": _limit(tokens, "tokens"),
               "cost_usd": _limit(cost_usd, "cost_usd")}
    overrides: dict[str, dict[str, float | None]] = {}
    if by_segment is not None and not isinstance(by_segment, Mapping):
        raise CheckError(f"`by_segment` must map segments to limits; got {by_segment!r:.80}.")
    for seg, lim in (by_segment or {}).items():
        if not isinstance(lim, Mapping):
            raise CheckError(f"`by_segment[{seg!r}]` must map limits to numbers; got {lim!r}.")
        bad = sorted(set(lim) - set(_LIMITS))
        if bad:
            raise CheckError(f"`by_segment[{seg!r}]` has unknown limits {bad}; "
                             f"allowed: {list(_LIMITS)}.")
        overrides[str(seg)] = {k: _limit(v, f"by_segment[{seg!r}][{k!r}]") for k, v in lim.items()}
    used = [k for k in _LIMITS if default[k] is not None
            or any(k in o and o[k] is not None for o in overrides.values())]
    if not used:
        raise CheckError("budget needs at least one limit: latency_ms, tokens or cost_usd.")
    cols = {"latency_ms": ("latency_ms",), "tokens": ("input_tokens", "output_tokens"),
            "cost_usd": ("cost_usd",)}

    def run(frame: Any) -> Verdicts:
        n = len(frame)
        seg = (F.column(frame, segment_column).astype(object).to_numpy()
               if overrides else None)
        over = np.zeros(n, dtype=bool)
        measured = np.zeros(n, dtype=bool)
        parts: list[np.ndarray] = []
        for k in used:
            if k == "tokens":
                have = [c for c in cols[k] if c in frame.columns]
                if not have:
                    raise CheckError("the tokens budget needs input_tokens or output_tokens.")
                vals = np.column_stack([F.numbers(frame, c) for c in have])
                value = np.where(np.isnan(vals).all(axis=1), np.nan, np.nansum(vals, axis=1))
            else:
                value = F.numbers(frame, k)
            limit = np.full(n, np.nan if default[k] is None else default[k])
            for s, lim in overrides.items():
                if k in lim:
                    limit[seg == s] = np.nan if lim[k] is None else lim[k]
            ok_limit = ~np.isnan(limit)
            has = ~np.isnan(value) & ok_limit
            bad = has & (value > np.where(ok_limit, limit, np.inf))
            measured |= has
            over |= bad
            msg = np.full(n, "", dtype=object)
            if bad.any():
                idx = np.flatnonzero(bad)
                fmt = "{:.4g}" if k == "cost_usd" else "{:.0f}"
                msg[idx] = [f"{k} {fmt.format(value[i])} > {fmt.format(limit[i])} {_UNIT[k]}"
                            for i in idx.tolist()]
            parts.append(msg)
        why = np.full(n, "", dtype=object)
        for i in np.flatnonzero(over).tolist():
            why[i] = "; ".join(p[i] for p in parts if p[i])
        return verdicts_from(n, [(~measured, NA, "no budgeted quantity recorded"),
                                 (over, FAIL, why)])

    needed: tuple[str, ...] = (segment_column,) if overrides else ()
    needed += tuple(c for k in used if k != "tokens" for c in cols[k])
    return Check(name=name, func=run, columns=needed,
                 description="latency, tokens and cost within budget",
                 params={**default, "by_segment": overrides})
