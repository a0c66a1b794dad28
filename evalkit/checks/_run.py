"""``run_checks``: run checks over a trace frame, isolating errors, into one tidy result.

A check that raises never aborts the run. A row check that raises on a trace gives that trace an
``error`` verdict with the exception in ``reason``. A vectorized check that raises is re-run on
halves of the frame (bisection) to pin the error to the traces that cause it; after a bounded
number of re-runs, the traces still unresolved get the error verdict together.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from evalkit.checks._core import (
    ERROR,
    NA,
    VERDICTS,
    Check,
    CheckError,
    Verdicts,
    check,
    coerce_row_result,
    coerce_vectorized,
)
from evalkit.checks._result import CheckResult, summarize

#: How many re-runs of a raising vectorized check are spent pinning the error to traces.
MAX_BISECT_CALLS = 256
_MISSING_SEGMENT = "(none)"


def _error_text(exc: BaseException) -> str:
    msg = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    text = f"{type(exc).__name__}: {msg}" if msg else type(exc).__name__
    return text[:300]


def _as_checks(checks: Any) -> list[Check]:
    if isinstance(checks, Check) or (callable(checks) and not isinstance(checks, type)):
        checks = [checks]
    if isinstance(checks, (str, bytes)) or not isinstance(checks, Iterable):
        raise CheckError(
            "`checks` must be a Check or a list of checks (from evalkit.checks or @evalkit.check);"
            f" got {type(checks).__name__}."
        )
    out: list[Check] = []
    for i, c in enumerate(checks):
        if isinstance(c, Check):
            out.append(c)
        elif callable(c) and not isinstance(c, type):
            out.append(check(c))
        else:
            raise CheckError(f"`checks[{i}]` must be a Check or a function; got {c!r}.")
    if not out:
        raise CheckError("`checks` is empty: pass at least one check.")
    names = [c.name for c in out]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise CheckError(
            f"check names must be unique; {dup} appear more than once (use .renamed('...'))."
        )
    return out


def _validate_traces(traces: Any, checks: list[Check], by: str | None) -> pd.Index:
    if not isinstance(traces, pd.DataFrame):
        raise CheckError(
            f"`traces` must be a pandas DataFrame (the canonical trace frame); "
            f"got {type(traces).__name__}."
        )
    if "trace_id" not in traces.columns:
        raise CheckError(
            f"`traces` has no 'trace_id' column; columns: {list(map(str, traces.columns))}."
        )
    ids = traces["trace_id"]
    if ids.isna().any():
        pos = int(np.flatnonzero(ids.isna().to_numpy())[0])
        raise CheckError(f"`traces` row {pos} has a missing trace_id.")
    dup = ids[ids.duplicated()]
    if len(dup):
        raise CheckError(f"`traces` has duplicate trace ids, e.g. {str(dup.iloc[0])!r} "
                         f"({len(dup)} duplicates).")
    if by is not None and by not in traces.columns:
        raise CheckError(f"`by` {by!r} is not a column of `traces`; "
                         f"columns: {list(map(str, traces.columns))}.")
    for c in checks:
        missing = [col for col in c.columns if col not in traces.columns]
        if missing:
            raise CheckError(f"check {c.name!r} needs columns {missing} that `traces` lacks; "
                             f"columns: {list(map(str, traces.columns))}.")
    return pd.Index(ids.astype(str).to_numpy(dtype=object))


def _run_row(c: Check, traces: pd.DataFrame) -> Verdicts:
    n = len(traces)
    frame = traces[list(c.columns)] if c.columns else traces
    codes = np.empty(n, dtype=np.int8)
    reasons = np.empty(n, dtype=object)
    for i, row in enumerate(frame.to_dict("records")):
        try:
            codes[i], reasons[i] = coerce_row_result(c.func(row))
        except Exception as exc:
            codes[i], reasons[i] = ERROR, _error_text(exc)
    return Verdicts(codes=codes, reasons=pd.Categorical(reasons))


def _all_errors(n: int, message: str) -> Verdicts:
    return Verdicts(codes=np.full(n, ERROR, dtype=np.int8),
                    reasons=pd.Categorical(np.full(n, message, dtype=object)))


def _run_vectorized(c: Check, traces: pd.DataFrame) -> Verdicts:
    n = len(traces)
    try:
        value = c.func(traces)
    except Exception as exc:
        first = _error_text(exc)
    else:
        try:  # a malformed return value is the check's bug on every trace: no bisection
            return coerce_vectorized(value, n)
        except Exception as exc:
            return _all_errors(n, _error_text(exc))
    codes = np.full(n, ERROR, dtype=np.int8)
    reasons = np.full(n, first, dtype=object)
    budget = [MAX_BISECT_CALLS]

    def attempt(lo: int, hi: int, message: str) -> None:
        # [lo, hi) raised with `message`; split it and retry each half.
        if hi - lo == 1 or budget[0] <= 0:
            reasons[lo:hi] = message if hi - lo == 1 else (
                f"{message} (raised on a batch of {hi - lo} traces)")
            return
        mid = (lo + hi) // 2
        for a, b in ((lo, mid), (mid, hi)):
            budget[0] -= 1
            try:
                v = coerce_vectorized(c.func(traces.iloc[a:b]), b - a)
            except Exception as e:
                attempt(a, b, _error_text(e))
                continue
            codes[a:b] = v.codes
            reasons[a:b] = np.asarray(v.reasons, dtype=object)

    if n:
        attempt(0, n, first)
    return Verdicts(codes=codes, reasons=pd.Categorical(reasons))


def run_one(c: Check, traces: pd.DataFrame) -> Verdicts:
    """Run one check, recording errors as verdicts."""
    return _run_row(c, traces) if c.kind == "row" else _run_vectorized(c, traces)


def run_checks(
    traces: pd.DataFrame,
    checks: Check | Callable[..., Any] | Sequence[Check | Callable[..., Any]],
    *,
    by: str | None = "segment",
    confidence_level: float = 0.95,
) -> CheckResult:
    """Run code-based checks over traces: one verdict per trace and check, and failure rates.

    Parameters
    ----------
    traces : DataFrame
        The canonical trace frame (:func:`evalkit.load_traces`); needs ``trace_id`` (unique)
        and the columns the checks read.
    checks : Check or sequence of Check
        Built-ins from :mod:`evalkit.checks` or functions wrapped with :func:`evalkit.check`
        (a bare function is wrapped as a row check). Names must be unique.
    by : str or None, default 'segment'
        Column to break the failure rates down by (``None``: overall only).
    confidence_level : float, default 0.95
        Of the Wilson intervals in the summary.

    Returns
    -------
    CheckResult
        ``frame`` (``trace_id, check, verdict, reason``; verdict is ``pass``, ``fail``, ``n/a``
        or ``error``), ``summary`` (failure rates per check and segment with Wilson intervals),
        ``statistic`` (share of traces failing at least one check) and its
        ``confidence_interval``; ``to_labels()``, ``to_store()``, ``verdicts()``,
        ``review_queue()``, ``gate()``.

    Raises
    ------
    CheckError
        ``traces`` is not a frame with unique trace ids, a check needs a missing column, or two
        checks share a name. A check that *raises* does not raise here: its traces get the
        ``error`` verdict.

    Examples
    --------
    >>> import pandas as pd
    >>> import evalkit
    >>> from evalkit import checks
    >>> traces = pd.DataFrame({"trace_id": ["a", "b", "c"],
    ...                        "output": ['{"ok": 1}', "not json", '{"ok": 2}'],
    ...                        "segment": ["x", "x", "y"]})
    >>> res = evalkit.run_checks(traces, [checks.json_valid()])
    >>> res.frame[["trace_id", "verdict"]].values.tolist()
    [['a', 'pass'], ['b', 'fail'], ['c', 'pass']]
    >>> res.summary[["check", "segment", "n_fail", "failure_rate"]].values.tolist()
    [['json_valid', '(all)', 1, 0.333...], ['json_valid', 'x', 1, 0.5], ['json_valid', 'y', 0, 0.0]]
    """
    from evalkit.stats._common import check_confidence_level

    cl = check_confidence_level(confidence_level)
    cks = _as_checks(checks)
    ids = _validate_traces(traces, cks, by)
    n = len(traces)
    if by is None:
        seg = np.full(n, "(all)", dtype=object)
    else:
        s = traces[by].astype(object)
        seg = s.where(s.notna(), _MISSING_SEGMENT).astype(str).to_numpy(dtype=object)
    idx = traces.index
    plain = isinstance(idx, pd.RangeIndex) and idx.start == 0 and idx.step == 1
    frame_in = traces if plain else traces.reset_index(drop=True)
    results = [run_one(c, frame_in) for c in cks]

    k = len(cks)
    codes = np.concatenate([r.codes for r in results]) if k else np.empty(0, np.int8)
    # one categories dtype (object) for all: pandas 3 infers `str` for some and refuses the union
    reasons = pd.api.types.union_categoricals(
        [pd.Categorical.from_codes(r.reasons.codes,
                                   categories=pd.Index(list(r.reasons.categories), dtype=object))
         for r in results],
        ignore_order=True,
    ) if results else pd.Categorical([])
    frame = pd.DataFrame(
        {
            "trace_id": pd.Categorical.from_codes(np.tile(np.arange(n), k),
                                                  categories=ids),
            "check": pd.Categorical.from_codes(
                np.repeat(np.arange(k), n), categories=pd.Index([c.name for c in cks])
            ),
            "verdict": pd.Categorical.from_codes(codes, categories=pd.Index(list(VERDICTS))),
            "reason": reasons,
        }
    )
    summary = summarize(codes.reshape(k, n), [c.name for c in cks], seg, by is not None, cl)
    n_fail_any = int((codes.reshape(k, n) == 1).any(axis=0).sum()) if n else 0
    return CheckResult._build(
        frame=frame,
        summary=summary,
        checks=tuple(c.name for c in cks),
        descriptions={c.name: c.description for c in cks},
        by=by,
        n_traces=n,
        n_failing=n_fail_any,
        n_applicable=int((codes.reshape(k, n) != NA).any(axis=0).sum()) if n else 0,
        segments=pd.Series(seg, index=ids, dtype=object) if by is not None else None,
        confidence_level=cl,
    )
