"""Canary gate on online signals: is the treatment within x of control (interval-aware).

Each signal's difference (treatment minus control) gets Newcombe's interval on the effective
counts of :func:`evalkit.runs._online.online_signals`; the verdict is *pass* when the whole
interval is on the acceptable side of the tolerance, *fail* when the whole interval is beyond
it, and *inconclusive* otherwise (collect more traffic).
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
import pandas as pd

from evalkit.runs._errors import RunInputError
from evalkit.runs._online import SIGNALS, OnlineSignals, online_signals
from evalkit.runs._table_result import PerSignalResult
from evalkit.runs._tally import object_column
from evalkit.stats._common import check_confidence_level
from evalkit.stats._two_sample import newcombe_difference_interval

if TYPE_CHECKING:
    import plotly.graph_objects as go


@dataclass(frozen=True, slots=True, kw_only=True)
class OnlineComparison(PerSignalResult):
    """Treatment vs control per signal (and segment) with an interval-aware verdict.

    Attributes
    ----------
    table : pandas.DataFrame
        ``segment, signal, rate_control, rate_treatment, delta, ci_low, ci_high,
        higher_is_better, tolerance, verdict`` (``segment`` ``None`` = overall).
    verdict : str
        ``'fail'`` if any overall signal fails, else ``'inconclusive'`` if any is, else
        ``'pass'``.
    statistic : dict
        Overall delta per signal; ``confidence_interval`` the intervals.
    """

    table: pd.DataFrame
    confidence_level: float

    _statistic_column: ClassVar[str] = "delta"

    @property
    def verdict(self) -> str:
        """Overall verdict over the overall rows."""
        v = set(self._overall["verdict"])
        return "fail" if "fail" in v else "inconclusive" if "inconclusive" in v else "pass"

    def __repr__(self) -> str:
        return f"OnlineComparison(verdict={self.verdict!r}, deltas={self.statistic!r})"

    def plot(self) -> go.Figure:
        """Deltas with intervals and the tolerance band per signal."""
        from evalkit.plots.runs import plot_online_comparison

        return plot_online_comparison(self)

    def _repr_html_(self) -> str:
        colour = {"pass": "#1a7f37", "fail": "#cf222e"}.get(self.verdict, "#9a6700")
        head = (f"<b>Canary vs control</b>: <b style='color:{colour}'>"
                f"{html.escape(self.verdict)}</b>")
        body = self.table.to_html(index=False, escape=True, na_rep="all",
                                  float_format=lambda x: f"{x:.3g}")
        return f"<div class='evalkit-online-compare'>{head}{body}</div>"


def compare_online(
    control: pd.DataFrame | OnlineSignals,
    treatment: pd.DataFrame | OnlineSignals,
    *,
    tolerance: float = 0.02,
    relative: bool = False,
    higher_is_better: dict[str, bool] | None = None,
    confidence_level: float = 0.95,
    **signal_options: Any,
) -> OnlineComparison:
    """Check a canary (treatment) against control: is each signal within ``tolerance``.

    Parameters
    ----------
    control, treatment : pandas.DataFrame or OnlineSignals
        Trace frames (passed to :func:`online_signals` with ``signal_options``) or results.
    tolerance : float, default 0.02
        The allowed worsening: absolute points of rate (0.02 = 2 points), or a share of the
        control rate when ``relative`` (0.02 = 2% of control).
    relative : bool, default False
    higher_is_better : dict, optional
        Direction per signal; defaults: continuation, task_completion and thumbs_up higher is
        better; follow_up and escalation lower is better.
    confidence_level : float, default 0.95
    **signal_options
        ``by``, ``session_col``, ``time_col``, ``followup_window`` for :func:`online_signals`.

    Returns
    -------
    OnlineComparison
        ``table``, ``verdict`` (pass / fail / inconclusive), ``statistic``,
        ``confidence_interval``.

    Notes
    -----
    With ``g`` the difference in the good direction (``delta`` or ``-delta``) and its interval
    ``[g_lo, g_hi]``: *pass* when ``g_lo >= -tol`` (non-inferior), *fail* when
    ``g_hi < -tol`` (worse by more than the tolerance), else *inconclusive*.

    Examples
    --------
    >>> import pandas as pd
    >>> def frame(n_completed, n):
    ...     return pd.DataFrame({"session_id": [f"s{i}" for i in range(n)],
    ...                          "timestamp": ["2025-01-01T00:00:00Z"] * n,
    ...                          "task_completed": [i < n_completed for i in range(n)]})
    >>> cmp = compare_online(frame(800, 1000), frame(900, 1000), by=None)
    >>> cmp.verdict
    'pass'
    """
    cl = check_confidence_level(confidence_level)
    if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float)) \
            or not 0 <= tolerance < 1:
        raise RunInputError(f"`tolerance` must be a number in [0, 1); got {tolerance!r}.")
    hib = {s: better for s, (_, better) in SIGNALS.items()}
    for k, v in (higher_is_better or {}).items():
        if k not in hib:
            raise RunInputError(f"`higher_is_better` key {k!r} is not a signal; signals: "
                                f"{list(SIGNALS)}.")
        hib[k] = bool(v)
    res = [x if isinstance(x, OnlineSignals)
           else online_signals(x, confidence_level=cl, **signal_options)
           for x in (control, treatment)]
    keys = ["segment", "signal"]
    c = res[0].table.assign(segment=res[0].table["segment"].fillna("\0all"))
    t = res[1].table.assign(segment=res[1].table["segment"].fillna("\0all"))
    m = c.merge(t, on=keys, suffixes=("_c", "_t"))
    if m.empty:
        raise RunInputError("`control` and `treatment` share no signal: give both the same "
                            "outcome columns.")
    kc, nc = m["rate_c"] * m["n_effective_c"], m["n_effective_c"]
    kt, nt = m["rate_t"] * m["n_effective_t"], m["n_effective_t"]
    d, lo, hi = newcombe_difference_interval(kt.fillna(0), nt.fillna(0), kc.fillna(0),
                                             nc.fillna(0), confidence_level=cl)
    sign = np.where(m["signal"].map(hib).to_numpy(dtype=bool), 1.0, -1.0)
    g_lo = np.where(sign > 0, lo, -hi)
    g_hi = np.where(sign > 0, hi, -lo)
    tol = tolerance * m["rate_c"].to_numpy() if relative else np.full(len(m), float(tolerance))
    verdict = np.where(np.isnan(g_lo), "inconclusive",
                       np.where(g_lo >= -tol, "pass", np.where(g_hi < -tol, "fail",
                                                               "inconclusive")))
    table = pd.DataFrame({
        "segment": object_column([None if s == "\0all" else s for s in m["segment"]]),
        "signal": m["signal"], "rate_control": m["rate_c"], "rate_treatment": m["rate_t"],
        "n_control": m["n_c"], "n_treatment": m["n_t"], "delta": d, "ci_low": lo,
        "ci_high": hi, "higher_is_better": sign > 0, "tolerance": tol, "verdict": verdict,
    })
    return OnlineComparison(table=table, confidence_level=cl)
