"""The contamination gap: active-pool minus sealed-holdout score, with an interval, per segment.

A team that tunes its prompt against the active pool of its golden set drifts towards that pool;
the sealed holdout (never looked at) is the honest score. Their difference measures the overfit.
The two pools hold different cases, so the comparison is unpaired: Newcombe's hybrid score
interval for verdicts, Welch for mean scores.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

import pandas as pd

from evalkit.runs._drift import _unpaired
from evalkit.runs._errors import MixedOutcomeError
from evalkit.runs._table_result import FirstRowResult
from evalkit.runs._tally import object_column, tally
from evalkit.stats._common import check_confidence_level

if TYPE_CHECKING:
    import plotly.graph_objects as go

_COLS = ["segment", "n_active", "n_holdout", "rate_active", "rate_holdout", "gap", "ci_low",
         "ci_high", "p_value", "method"]


@dataclass(frozen=True, slots=True, kw_only=True)
class ContaminationGap(FirstRowResult):
    """Active minus holdout, overall (``segment`` ``None``) and per segment.

    Attributes
    ----------
    statistic : float
        Overall gap (active rate minus holdout rate).
    confidence_interval : ConfidenceInterval
        Its interval.
    table : pandas.DataFrame
        ``segment, n_active, n_holdout, rate_active, rate_holdout, gap, ci_low, ci_high,
        p_value, method``; the first row is overall.
    confidence_level : float
    kind : str
        ``'verdict'`` or ``'score'``.
    """

    table: pd.DataFrame
    confidence_level: float
    kind: str

    _statistic_column: ClassVar[str] = "gap"

    def __repr__(self) -> str:
        lo, hi = self.confidence_interval
        return (f"ContaminationGap(statistic={self.statistic:.4g}, confidence_interval="
                f"({lo:.4g}, {hi:.4g}), n_segments={len(self.table) - 1})")


    def plot(self) -> go.Figure:
        """The gap per segment with its interval."""
        from evalkit.plots.runs import plot_contamination

        return plot_contamination(self)

    def _repr_html_(self) -> str:
        lo, hi = self.confidence_interval
        head = (f"<b>Contamination gap</b> (active - holdout) = {self.statistic:+.3f} "
                f"<span style='color:#555'>({self.confidence_level:.0%} CI {lo:+.3f} to "
                f"{hi:+.3f}, {html.escape(str(self.table['method'].iloc[0]))})</span>")
        body = self.table.to_html(index=False, escape=True, na_rep="all",
                                  float_format=lambda x: f"{x:.3g}")
        return f"<div class='evalkit-contamination'>{head}{body}</div>"


def contamination_gap(
    active: pd.DataFrame,
    holdout: pd.DataFrame,
    *,
    by: str | None = "segment",
    confidence_level: float = 0.95,
) -> ContaminationGap:
    r"""Active-pool minus sealed-holdout pass rate (or mean score), with intervals, per segment.

    Parameters
    ----------
    active, holdout : pandas.DataFrame
        Rows (``case_id`` or ``trace_id``, ``verdict`` or ``score``, optional ``by`` column) or
        per-segment counts (``segment, n, passes``; or ``n, score_sum, score_sq_sum``).
    by : str or None, default 'segment'
        Segment column; ``None`` for the overall gap only.
    confidence_level : float, default 0.95

    Returns
    -------
    ContaminationGap
        ``statistic`` (overall gap), ``confidence_interval``, ``table`` per segment.

    Raises
    ------
    RunInputError, DuplicateCaseError, VerdictMismatchError, EmptySegmentError
        Malformed input.
    MixedOutcomeError
        One pool has verdicts and the other scores.

    Notes
    -----
    Verdicts: :math:`\hat p_a - \hat p_h` with Newcombe's (1998) hybrid score interval (method
    10) and the pooled two-proportion z test. Scores: difference of means with the Welch normal
    interval. A segment present in one pool only gets ``nan`` (method ``'segment-missing'``).
    A case in both pools is allowed (the pools are treated as independent samples).

    Examples
    --------
    >>> import pandas as pd
    >>> act = pd.DataFrame({"segment": ["a", "b"], "n": [100, 50], "passes": [92, 45]})
    >>> hold = pd.DataFrame({"segment": ["a", "b"], "n": [100, 50], "passes": [84, 44]})
    >>> gap = contamination_gap(act, hold)
    >>> round(gap.statistic, 4)  # 137/150 - 128/150
    0.06
    """
    cl = check_confidence_level(confidence_level)
    a = tally(active, name="active", by=by)
    h = tally(holdout, name="holdout", by=by)
    if a.kind != h.kind:
        raise MixedOutcomeError(f"`active` holds {a.kind}s but `holdout` holds {h.kind}s; "
                                f"both must hold verdicts or both scores.")
    rows: list[dict[str, Any]] = []
    sums = ["n", "score_sum", "score_sq_sum"]
    scopes: list[tuple[Any, pd.Series | None, pd.Series | None]] = [
        (None, a.counts[sums].sum(), h.counts[sums].sum())]
    for seg in sorted(set(a.counts.index) | set(h.counts.index)):
        scopes.append((seg, a.counts.loc[seg] if seg in a.counts.index else None,
                       h.counts.loc[seg] if seg in h.counts.index else None))
    for seg, ra, rh in scopes:
        r = _unpaired(rh, ra, a.kind, cl)  # "from" holdout "to" active: delta = active - holdout
        rows.append({"segment": seg, "n_active": r["n_to"], "n_holdout": r["n_from"],
                     "rate_active": r["rate_to"], "rate_holdout": r["rate_from"],
                     "gap": r["delta"], "ci_low": r["ci_low"], "ci_high": r["ci_high"],
                     "p_value": r["p_value"], "method": r["method"]})
    table = pd.DataFrame(rows, columns=_COLS)
    table["segment"] = object_column([r["segment"] for r in rows])
    for c in ("rate_active", "rate_holdout", "gap", "ci_low", "ci_high", "p_value"):
        table[c] = table[c].astype(float).where(table[c].notna(), math.nan)
    return ContaminationGap(table=table, confidence_level=cl, kind=a.kind)
