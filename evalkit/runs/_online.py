"""Online signals from production traces (continuation, follow-ups, escalation, completion, thumbs).

Online signals are noisy but uncontaminated: nobody tunes a prompt against them. They are
derived from the canonical frame's session ids and timestamps plus optional outcome columns
(``escalated``, ``task_completed``, ``feedback``), each with a Wilson interval, overall and per
segment. :func:`compare_online` checks a canary against "within x of control".
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from evalkit.runs._errors import RunInputError, VerdictMismatchError
from evalkit.runs._table_result import PerSignalResult
from evalkit.runs._tally import object_column
from evalkit.stats._common import check_confidence_level
from evalkit.stats._proportions import wilson_interval

if TYPE_CHECKING:
    import plotly.graph_objects as go

#: signal -> (unit, whether a higher rate is better)
SIGNALS: dict[str, tuple[str, bool]] = {
    "continuation": ("turn", True),
    "follow_up": ("turn", False),
    "escalation": ("session", False),
    "task_completion": ("session", True),
    "thumbs_up": ("turn", True),
}
_UP = frozenset({"up", "thumbs_up", "+1", "1", "1.0", "true", "positive", "like"})
_DOWN = frozenset({"down", "thumbs_down", "-1", "-1.0", "0", "0.0", "false", "negative",
                   "dislike"})
_COLS = ["segment", "signal", "unit", "k", "n", "n_sessions", "rate", "ci_low", "ci_high",
         "design_effect", "n_effective"]


_TRUE = frozenset({"true", "1", "1.0", "yes"})
_FALSE = frozenset({"false", "0", "0.0", "no"})


def _words(s: pd.Series, true: frozenset[str], false: frozenset[str], name: str,
           allowed: str) -> pd.Series:
    """Map a column to 1.0 / 0.0 / nan (missing or empty: no value recorded), vectorised."""
    missing = s.isna().to_numpy()
    w = s.astype(object).where(~missing, "").astype(str).str.strip().str.lower()
    is_t, is_f = w.isin(true).to_numpy(), w.isin(false).to_numpy()
    bad = ~(is_t | is_f | missing | (w == "").to_numpy())
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise VerdictMismatchError(f"`traces` column {name!r}, row {i}: expected {allowed}; "
                                   f"got {s.iloc[i]!r} ({int(bad.sum())} rows).")
    return pd.Series(np.where(is_t, 1.0, np.where(is_f, 0.0, np.nan)), index=s.index)


def _bool_col(s: pd.Series, name: str) -> pd.Series:
    return _words(s, _TRUE, _FALSE, name, "true/false (or 1/0, yes/no, empty)")


def _feedback(s: pd.Series) -> pd.Series:
    return _words(s, _UP, _DOWN, "feedback",
                  "up/down (thumbs_up/thumbs_down, 1/-1, true/false, empty)")


def _cluster_rate(y: np.ndarray, sess: np.ndarray, cl: float) -> dict[str, float]:
    """Per-turn rate with a Wilson interval on the cluster-robust effective sample size."""
    ok = np.isfinite(y)
    y, sess = y[ok], sess[ok]
    n = y.size
    if n == 0:
        return {"k": 0.0, "n": 0, "n_sessions": 0, "rate": math.nan, "ci_low": math.nan,
                "ci_high": math.nan, "design_effect": math.nan, "n_effective": math.nan}
    codes, _ = pd.factorize(sess)
    ys = np.bincount(codes, weights=y)
    ms = np.bincount(codes).astype(np.float64)
    g = ms.size
    p = float(y.sum() / n)
    # Cluster-robust (sandwich) variance of the ratio estimator sum(y) / sum(m) over sessions.
    var_cr = g / (g - 1) * float(np.sum((ys - p * ms) ** 2)) / n**2 if g > 1 else math.nan
    var_iid = p * (1 - p) / n
    deff = var_cr / var_iid if var_iid > 0 and math.isfinite(var_cr) else 1.0
    n_eff = n / max(deff, 1.0)
    lo, hi = wilson_interval(p * n_eff, n_eff, confidence_level=cl)
    return {"k": float(y.sum()), "n": n, "n_sessions": g, "rate": p, "ci_low": float(lo),
            "ci_high": float(hi), "design_effect": deff, "n_effective": n_eff}


def _session_rate(y: np.ndarray, cl: float) -> dict[str, float]:
    y = y[np.isfinite(y)]
    n = y.size
    if n == 0:
        return {"k": 0.0, "n": 0, "n_sessions": 0, "rate": math.nan, "ci_low": math.nan,
                "ci_high": math.nan, "design_effect": math.nan, "n_effective": math.nan}
    lo, hi = wilson_interval(y.sum(), n, confidence_level=cl)
    return {"k": float(y.sum()), "n": n, "n_sessions": n, "rate": float(y.mean()),
            "ci_low": float(lo), "ci_high": float(hi), "design_effect": 1.0,
            "n_effective": float(n)}


def _prepare(traces: Any, by: str | None, session_col: str, time_col: str) -> pd.DataFrame:
    if not isinstance(traces, pd.DataFrame):
        raise RunInputError(f"`traces` must be a pandas DataFrame (the canonical frame); got "
                            f"{type(traces).__name__}.")
    need = [session_col, time_col] + ([by] if by is not None else [])
    missing = [c for c in need if c not in traces.columns]
    if missing:
        raise RunInputError(f"`traces` has no column(s) {missing}; columns: "
                            f"{list(map(str, traces.columns))}.")
    if len(traces) == 0:
        raise RunInputError("`traces` has no rows.")
    for c in need:
        bad = traces[c].isna().to_numpy()
        if bad.any():
            raise RunInputError(f"`traces` column {c!r}, row {int(np.flatnonzero(bad)[0])}: "
                                f"missing value ({int(bad.sum())} rows).")
    try:
        ts = pd.to_datetime(traces[time_col], utc=True, format="ISO8601")
    except (TypeError, ValueError) as exc:
        raise RunInputError(f"`traces` column {time_col!r}: not timestamps ({exc}).") from None
    df = pd.DataFrame({
        "session": traces[session_col].astype(str).to_numpy(dtype=object),
        "time": ts.to_numpy(),
        "segment": (traces[by].astype(str).to_numpy(dtype=object) if by is not None
                    else np.full(len(traces), None, dtype=object)),
        "row": np.arange(len(traces)),
    })
    for col in ("input", "escalated", "task_completed", "feedback"):
        if col in traces.columns:
            df[col] = traces[col].to_numpy(dtype=object)
    return df.sort_values(["session", "time", "row"], kind="stable").reset_index(drop=True)


def _derive(df: pd.DataFrame, followup_window: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per-turn and per-session outcome columns."""
    same = df["session"].shift(-1).eq(df["session"]).to_numpy()
    turns = pd.DataFrame({"session": df["session"], "segment": df["segment"]})
    turns["continuation"] = same.astype(float)
    if "input" in df.columns:
        gap = (df["time"].shift(-1) - df["time"]).dt.total_seconds().to_numpy()
        nxt_q = df["input"].shift(-1).map(lambda v: isinstance(v, str) and "?" in v).to_numpy()
        turns["follow_up"] = (same & (gap <= followup_window) & nxt_q.astype(bool)).astype(float)
    if "feedback" in df.columns:
        turns["thumbs_up"] = _feedback(df["feedback"]).to_numpy()
    first = df.groupby("session", sort=True).first()
    sessions = pd.DataFrame({"segment": first["segment"]})
    for col, sig in (("escalated", "escalation"), ("task_completed", "task_completion")):
        if col in df.columns:
            v = _bool_col(df[col], col)
            sessions[sig] = v.groupby(df["session"].to_numpy()).max().reindex(sessions.index)
    return turns, sessions


@dataclass(frozen=True, slots=True, kw_only=True)
class OnlineSignals(PerSignalResult):
    """Online signal rates with intervals, overall (``segment`` ``None``) and per segment.

    Attributes
    ----------
    table : pandas.DataFrame
        ``segment, signal, unit, k, n, n_sessions, rate, ci_low, ci_high, design_effect,
        n_effective``.
    statistic : dict
        Overall rate per signal.
    confidence_interval : dict
        Overall :class:`ConfidenceInterval` per signal.
    """

    table: pd.DataFrame
    confidence_level: float

    def __repr__(self) -> str:
        rates = ", ".join(f"{k}={v:.3g}" for k, v in self.statistic.items())
        return f"OnlineSignals({rates})"

    def plot(self) -> go.Figure:
        """Rates with intervals per signal and segment."""
        from evalkit.plots.runs import plot_online

        return plot_online(self.table, title="Online signals")

    def _repr_html_(self) -> str:
        body = self.table.to_html(index=False, escape=True, na_rep="all",
                                  float_format=lambda x: f"{x:.3g}")
        return f"<div class='evalkit-online'><b>Online signals</b>{body}</div>"


def online_signals(
    traces: pd.DataFrame,
    *,
    by: str | None = "segment",
    session_col: str = "session_id",
    time_col: str = "timestamp",
    followup_window: float = 600.0,
    confidence_level: float = 0.95,
) -> OnlineSignals:
    r"""Session continuation, follow-ups, escalation, task completion and thumbs-up rates.

    Parameters
    ----------
    traces : pandas.DataFrame
        The canonical frame (one row per assistant answer) with ``session_col`` and
        ``time_col``; optional ``input`` and outcome columns ``escalated``, ``task_completed``
        (true/false/empty) and ``feedback`` (up/down/empty).
    by : str or None, default 'segment'
        Segment column (a session counts in the segment of its first trace).
    session_col, time_col : str
        Session id and timestamp columns.
    followup_window : float, default 600
        Seconds within which the next user turn counts as a follow-up question.
    confidence_level : float, default 0.95

    Returns
    -------
    OnlineSignals
        ``table`` with a row per (scope, signal); ``statistic`` and ``confidence_interval``
        per signal overall.

    Notes
    -----
    * ``continuation`` (per answer): the session has another turn after this answer.
    * ``follow_up`` (per answer, needs ``input``): the next turn comes within
      ``followup_window`` seconds and asks a question (its input contains ``?``).
    * ``thumbs_up`` (per rated answer): up / (up + down); unrated answers are left out of ``n``.
    * ``escalation`` / ``task_completion`` (per session): the session has any trace with
      ``escalated`` / ``task_completed`` true; sessions with no value recorded are left out.

    Per-answer rates are correlated within sessions, so their Wilson interval uses the
    effective sample size :math:`n / \max(1, \text{deff})`, with the design effect the ratio of
    the cluster-robust (sessions as clusters) variance of the ratio estimator to the binomial
    variance (Korn & Graubard 1998, doi:10.2307/2685678). Per-session rates use the plain
    Wilson interval.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"session_id": ["s1", "s1", "s2"], "segment": ["a", "a", "b"],
    ...                   "timestamp": ["2025-01-01T00:00:00Z", "2025-01-01T00:01:00Z",
    ...                                 "2025-01-01T00:00:00Z"],
    ...                   "escalated": [False, True, False]})
    >>> online_signals(t).statistic
    {'continuation': 0.3333333333333333, 'escalation': 0.5}
    """
    cl = check_confidence_level(confidence_level)
    if isinstance(followup_window, bool) or not isinstance(followup_window, (int, float)) \
            or not followup_window >= 0:
        raise RunInputError(f"`followup_window` must be a number of seconds >= 0; got "
                            f"{followup_window!r}.")
    df = _prepare(traces, by, session_col, time_col)
    turns, sessions = _derive(df, float(followup_window))
    rows: list[dict[str, Any]] = []
    segs = [None, *sorted(set(df["segment"].dropna()))] if by is not None else [None]
    for sig, (unit, _) in SIGNALS.items():
        src = turns if unit == "turn" else sessions
        if sig not in src.columns:
            continue
        for seg in segs:
            part = src if seg is None else src[src["segment"] == seg]
            y = part[sig].to_numpy(dtype=np.float64)
            res = (_cluster_rate(y, part["session"].to_numpy(), cl) if unit == "turn"
                   else _session_rate(y, cl))
            rows.append({"segment": seg, "signal": sig, "unit": unit, **res})
    table = pd.DataFrame(rows, columns=_COLS)
    table["segment"] = object_column([r["segment"] for r in rows])
    return OnlineSignals(table=table, confidence_level=cl)
