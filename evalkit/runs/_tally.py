"""Run rows or per-segment counts -> validated per-case values and per-segment sums.

The history, contamination gap and drift accept either *rows* (one per case: ``case_id`` or
``trace_id``, ``verdict`` or ``score``, optional segment) or *counts* (one per segment: ``n`` and
``passes``, or ``n``, ``score_sum`` and ``score_sq_sum``). Both end up as a :class:`Tally`, so
counts aggregated in a warehouse give exactly the numbers the rows give.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from evalkit.runs._errors import (
    DuplicateCaseError,
    EmptySegmentError,
    RunInputError,
    VerdictMismatchError,
)

PASS_WORDS = frozenset({"pass", "passed", "true", "yes", "1", "1.0", "ok"})
FAIL_WORDS = frozenset({"fail", "failed", "false", "no", "0", "0.0"})


@dataclass(frozen=True, slots=True)
class Tally:
    """Per-segment sums (index = segment) and, for rows-in, the per-case values.

    ``counts`` has columns ``n``, ``score_sum``, ``score_sq_sum`` (for verdicts the score is 1
    for pass and 0 for fail, so ``score_sum`` is the pass count). ``cases`` is ``None`` for
    counts-in, else a frame ``case_id, segment, value``.
    """

    counts: pd.DataFrame
    cases: pd.DataFrame | None
    kind: str  # 'verdict' or 'score'


def object_column(values: Any) -> pd.Series:
    """A segment column of Python objects with ``None`` (not ``nan``) for the overall scope.

    pandas 3 infers a string dtype for ``[None, "a"]`` and turns the ``None`` into ``nan``;
    the overall row must stay ``None`` under both pandas 2 and 3.
    """
    out = [None if v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v)) else v
           for v in values]
    return pd.Series(out, dtype=object)


def _frame(obj: Any, name: str) -> pd.DataFrame:
    if isinstance(obj, pd.DataFrame):
        return obj
    raise RunInputError(f"`{name}` must be a pandas DataFrame (rows or per-segment counts); "
                        f"got {type(obj).__name__}.")


def _verdicts(col: pd.Series, name: str) -> np.ndarray:
    if pd.api.types.is_bool_dtype(col.dtype) and not col.isna().any():
        return col.to_numpy(dtype=np.float64)
    words = col.map(lambda v: None if v is None or (isinstance(v, float) and math.isnan(v))
                    else str(v).strip().lower())
    out = np.full(len(col), np.nan)
    is_pass = words.isin(PASS_WORDS).to_numpy()
    is_fail = words.isin(FAIL_WORDS).to_numpy()
    out[is_pass], out[is_fail] = 1.0, 0.0
    bad = ~(is_pass | is_fail)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        seen = sorted({str(v) for v in col[bad].head(20).tolist()})[:5]
        raise VerdictMismatchError(
            f"`{name}` column 'verdict', row {i}: verdict vocabulary mismatch: expected pass/fail "
            f"(or true/false, 1/0); got {seen} ({int(bad.sum())} rows)."
        )
    return out


def tally(obj: Any, *, name: str, by: str | None = "segment") -> Tally:
    """Validate a run frame (rows or counts) and return its :class:`Tally`.

    Examples
    --------
    >>> import pandas as pd
    >>> t = tally(pd.DataFrame({"case_id": ["a", "b", "c"], "verdict": ["pass", "fail", "pass"],
    ...                         "segment": ["x", "x", "y"]}), name="run")
    >>> t.counts["score_sum"].to_dict()
    {'x': 1.0, 'y': 1.0}
    """
    df = _frame(obj, name)
    if "n" in df.columns and "case_id" not in df.columns and "trace_id" not in df.columns:
        return _tally_counts(df, name=name, by=by)
    return _tally_rows(df, name=name, by=by)


def _segments(df: pd.DataFrame, by: str | None, name: str) -> pd.Series:
    if by is None:
        return pd.Series(["all"] * len(df), index=df.index, dtype=object)
    if by not in df.columns:
        raise RunInputError(f"`{name}` has no column {by!r} (by={by!r}); columns: "
                            f"{list(map(str, df.columns))}. Pass by=None for one segment.")
    seg = df[by]
    if seg.isna().any():
        i = int(np.flatnonzero(seg.isna().to_numpy())[0])
        raise RunInputError(f"`{name}` column {by!r}, row {i}: missing segment.")
    return seg.astype(str).astype(object)


def _tally_rows(df: pd.DataFrame, *, name: str, by: str | None) -> Tally:
    id_col = "case_id" if "case_id" in df.columns else "trace_id" if "trace_id" in df.columns \
        else None
    if id_col is None:
        raise RunInputError(f"`{name}` needs a 'case_id' or 'trace_id' column (rows) or 'n' and "
                            f"'passes' columns (counts); got {list(map(str, df.columns))}.")
    if len(df) == 0:
        raise EmptySegmentError(f"`{name}` has no rows.")
    ids = df[id_col]
    if ids.isna().any():
        raise RunInputError(f"`{name}` column {id_col!r}: missing case ids.")
    ids = ids.astype(str).astype(object)
    dup = ids.duplicated(keep=False)
    if dup.any():
        shown = sorted(set(ids[dup].tolist()))[:5]
        raise DuplicateCaseError(f"`{name}` column {id_col!r}: duplicate case ids {shown} "
                            f"({int(dup.sum())} rows).")
    if "verdict" in df.columns:
        values, kind = _verdicts(df["verdict"], name), "verdict"
    elif "score" in df.columns:
        values = pd.to_numeric(df["score"], errors="coerce").to_numpy(dtype=np.float64)
        kind = "score"
        if not np.isfinite(values).all():
            i = int(np.flatnonzero(~np.isfinite(values))[0])
            raise RunInputError(f"`{name}` column 'score', row {i}: not a finite number "
                                f"({df['score'].iloc[i]!r}).")
    else:
        raise RunInputError(f"`{name}` needs a 'verdict' or 'score' column; got "
                            f"{list(map(str, df.columns))}.")
    seg = _segments(df, by, name)
    cases = pd.DataFrame({"case_id": ids.to_numpy(), "segment": seg.to_numpy(), "value": values})
    g = cases.groupby("segment", sort=True)["value"]
    counts = pd.DataFrame({
        "n": g.size().astype(np.int64),
        "score_sum": g.sum(),
        "score_sq_sum": cases.assign(v2=values**2).groupby("segment", sort=True)["v2"].sum(),
    })
    counts.index = counts.index.astype(object)
    return Tally(counts=counts, cases=cases, kind=kind)


def _tally_counts(df: pd.DataFrame, *, name: str, by: str | None) -> Tally:
    if len(df) == 0:
        raise EmptySegmentError(f"`{name}` (counts) has no rows.")
    if "passes" in df.columns:
        kind, s_col, q_col = "verdict", "passes", "passes"
    elif "score_sum" in df.columns and "score_sq_sum" in df.columns:
        kind, s_col, q_col = "score", "score_sum", "score_sq_sum"
    else:
        raise RunInputError(f"`{name}` (counts) needs 'n' with 'passes', or 'n' with 'score_sum' "
                            f"and 'score_sq_sum'; got {list(map(str, df.columns))}.")
    if by is not None and by in df.columns:
        seg = _segments(df, by, name)
    elif len(df) == 1:
        seg = pd.Series(["all"], index=df.index, dtype=object)
    else:
        raise RunInputError(f"`{name}` (counts) has {len(df)} rows but no segment column "
                            f"{by!r}; one row per segment is needed.")
    if seg.duplicated().any():
        raise RunInputError(f"`{name}` (counts) column {by!r}: duplicate segments "
                            f"{sorted(set(seg[seg.duplicated()].tolist()))[:5]}.")
    out = {}
    for col in ("n", s_col, q_col):
        v = pd.to_numeric(df[col], errors="coerce").to_numpy(dtype=np.float64)
        if not np.isfinite(v).all() or (v < 0).any():
            i = int(np.flatnonzero(~np.isfinite(v) | (v < 0))[0])
            raise RunInputError(f"`{name}` (counts) column {col!r}, row {i}: must be a finite "
                                f"number >= 0; got {df[col].iloc[i]!r}.")
        out[col] = v
    n = out["n"]
    if (n != np.round(n)).any() or (n < 1).any():
        i = int(np.flatnonzero((n != np.round(n)) | (n < 1))[0])
        err = EmptySegmentError if n[i] == 0 else RunInputError
        raise err(f"`{name}` (counts) column 'n', row {i}: must be a whole number "
                  f">= 1 (empty segments are not allowed); got {df['n'].iloc[i]!r}.")
    if kind == "verdict" and ((out["passes"] > n).any()
                              or (out["passes"] != np.round(out["passes"])).any()):
        i = int(np.flatnonzero((out["passes"] > n) | (out["passes"] != np.round(out["passes"])))[0])
        raise RunInputError(f"`{name}` (counts) row {i}: 'passes' must be a whole number in "
                            f"[0, n]; got passes={df['passes'].iloc[i]!r}, n={df['n'].iloc[i]!r}.")
    counts = pd.DataFrame(
        {"n": n.astype(np.int64), "score_sum": out[s_col], "score_sq_sum": out[q_col]},
        index=pd.Index(seg.to_numpy(), dtype=object, name="segment"),
    ).sort_index()
    return Tally(counts=counts, cases=None, kind=kind)
