"""Drift between consecutive runs of one eval-set version: paired tests on unchanged cases.

Given the per-segment sums of every run (and, where stored, the per-case values), compare each
run with the previous run of the same eval-set version, overall and per segment: exact McNemar
with Tango's score interval where both runs kept per-case verdicts (a paired t test for scores),
the pooled two-proportion z test with Newcombe's interval otherwise (Welch for scores). The
p-values of the whole family are adjusted (Holm by default) and a comparison is flagged when its
adjusted p-value is below ``1 - confidence_level``.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from scipy import special, stats

from evalkit.runs._errors import RunInputError
from evalkit.runs._tally import object_column
from evalkit.stats._common import ConfidenceInterval, check_confidence_level, z_value
from evalkit.stats._paired import adjust_pvalues, mcnemar_pvalue, paired_difference_interval
from evalkit.stats._two_sample import newcombe_difference_interval, two_proportion_z_test

if TYPE_CHECKING:
    import plotly.graph_objects as go

Adjust = Literal["holm", "bh", "none"]
ADJUSTMENTS = ("holm", "bh", "none")


def _paired(prev: pd.DataFrame, cur: pd.DataFrame, kind: str, cl: float) -> dict[str, Any]:
    """One paired comparison on cases present in both runs with the same segment."""
    m = prev.merge(cur, on=["case_id", "segment"], suffixes=("_a", "_b"))
    n = len(m)
    unmatched = len(prev) + len(cur) - 2 * n
    a, bv = m["value_a"].to_numpy(), m["value_b"].to_numpy()
    row: dict[str, Any] = {"n_from": n, "n_to": n, "n_unmatched": unmatched}
    if n == 0:
        return {**row, "rate_from": math.nan, "rate_to": math.nan, "delta": math.nan,
                "ci_low": math.nan, "ci_high": math.nan, "p_value": math.nan, "method": "paired"}
    row["rate_from"], row["rate_to"] = float(a.mean()), float(bv.mean())
    if kind == "verdict":
        b = float(np.sum((a == 1) & (bv == 0)))
        c = float(np.sum((a == 0) & (bv == 1)))
        both = float(np.sum((a == 1) & (bv == 1)))
        lo, hi = paired_difference_interval(both, b, c, n - both - b - c, method="tango",
                                            confidence_level=cl)
        return {**row, "delta": (c - b) / n, "ci_low": float(lo), "ci_high": float(hi),
                "p_value": float(mcnemar_pvalue(b, c)), "method": "mcnemar-exact"}
    d = bv - a
    se = float(np.std(d, ddof=1) / math.sqrt(n)) if n > 1 else math.nan
    delta = float(d.mean())
    if n > 1 and se > 0:
        t = stats.t.ppf(0.5 + cl / 2, n - 1)
        p = float(2 * stats.t.sf(abs(delta) / se, n - 1))
        lo_f, hi_f = delta - t * se, delta + t * se
    else:
        p = 1.0 if n > 1 else math.nan
        lo_f = hi_f = delta if n > 1 else math.nan
    return {**row, "delta": delta, "ci_low": lo_f, "ci_high": hi_f, "p_value": p,
            "method": "paired-t"}


def _unpaired(a: pd.Series | None, b: pd.Series | None, kind: str, cl: float) -> dict[str, Any]:
    """One comparison from per-segment sums (``n``, ``score_sum``, ``score_sq_sum``)."""
    nan = math.nan
    if a is None or b is None:
        return {"n_from": 0 if a is None else int(a["n"]), "n_to": 0 if b is None else int(b["n"]),
                "n_unmatched": 0, "rate_from": nan if a is None else a["score_sum"] / a["n"],
                "rate_to": nan if b is None else b["score_sum"] / b["n"], "delta": nan,
                "ci_low": nan, "ci_high": nan, "p_value": nan, "method": "segment-missing"}
    n1, s1, q1 = float(a["n"]), float(a["score_sum"]), float(a["score_sq_sum"])
    n2, s2, q2 = float(b["n"]), float(b["score_sum"]), float(b["score_sq_sum"])
    row = {"n_from": int(n1), "n_to": int(n2), "n_unmatched": 0, "rate_from": s1 / n1,
           "rate_to": s2 / n2}
    if kind == "verdict":
        d, lo, hi = newcombe_difference_interval(s2, n2, s1, n1, confidence_level=cl)
        p = two_proportion_z_test(s2, n2, s1, n1)
        return {**row, "delta": float(d), "ci_low": float(lo), "ci_high": float(hi),
                "p_value": float(p), "method": "two-proportion-z"}
    v1 = (q1 - s1**2 / n1) / (n1 - 1) if n1 > 1 else nan
    v2 = (q2 - s2**2 / n2) / (n2 - 1) if n2 > 1 else nan
    se = math.sqrt(max(v1 / n1 + v2 / n2, 0.0)) if n1 > 1 and n2 > 1 else nan
    delta = s2 / n2 - s1 / n1
    z = z_value(cl)
    pz = float(2 * special.ndtr(-abs(delta) / se)) if se > 0 else (1.0 if se == 0 else nan)
    return {**row, "delta": delta, "ci_low": delta - z * se, "ci_high": delta + z * se,
            "p_value": pz, "method": "welch-z"}


def detect_drift(
    runs: pd.DataFrame,
    segments: pd.DataFrame,
    cases: dict[str, pd.DataFrame],
    *,
    confidence_level: float = 0.95,
    adjust: Adjust = "holm",
    latest: bool = False,
) -> DriftResult:
    """Compare consecutive runs of each eval-set version (the engine of ``RunHistory.drift``).

    ``runs``: one row per run (``run_id, seq, at, model, prompt_hash, eval_set_version, kind``),
    ``segments``: ``run_id, segment, n, score_sum, score_sq_sum``; ``cases``: run id -> per-case
    frame (``case_id, segment, value``) for the runs that kept them. ``latest``: only the
    newest run of each version against its predecessor.
    """
    cl = check_confidence_level(confidence_level)
    if adjust not in ADJUSTMENTS:
        raise RunInputError(f"`adjust` must be one of {', '.join(map(repr, ADJUSTMENTS))}; "
                            f"got {adjust!r}.")
    rows: list[dict[str, Any]] = []
    for version, grp in runs.sort_values(["at", "seq"]).groupby("eval_set_version", sort=True):
        grp = grp.reset_index(drop=True)
        for i in range(max(1, len(grp) - 1) if latest else 1, len(grp)):
            prev, cur = grp.iloc[i - 1], grp.iloc[i]
            if prev["kind"] != cur["kind"]:
                continue  # a verdict run and a score run measure different things
            kind = str(cur["kind"])
            meta = {"eval_set_version": version, "from_run": prev["run_id"],
                    "to_run": cur["run_id"], "from_at": prev["at"], "to_at": cur["at"],
                    "model_from": prev["model"], "model_to": cur["model"],
                    "prompt_from": prev["prompt_hash"], "prompt_to": cur["prompt_hash"]}
            sa = segments[segments["run_id"] == prev["run_id"]].set_index("segment")
            sb = segments[segments["run_id"] == cur["run_id"]].set_index("segment")
            ca, cb = cases.get(str(prev["run_id"])), cases.get(str(cur["run_id"]))
            paired = ca is not None and cb is not None
            if paired:
                assert ca is not None and cb is not None
                res = _paired(ca, cb, kind, cl)
                rows.append({**meta, "segment": None, **res})
                for seg in sorted(set(ca["segment"]) | set(cb["segment"])):
                    res = _paired(ca[ca["segment"] == seg], cb[cb["segment"] == seg], kind, cl)
                    rows.append({**meta, "segment": seg, **res})
            else:
                tot_a, tot_b = sa[["n", "score_sum", "score_sq_sum"]].sum(), \
                    sb[["n", "score_sum", "score_sq_sum"]].sum()
                rows.append({**meta, "segment": None, **_unpaired(tot_a, tot_b, kind, cl)})
                for seg in sorted(set(sa.index) | set(sb.index)):
                    ra = sa.loc[seg] if seg in sa.index else None
                    rb = sb.loc[seg] if seg in sb.index else None
                    rows.append({**meta, "segment": seg, **_unpaired(ra, rb, kind, cl)})
    cols = ["eval_set_version", "from_run", "to_run", "from_at", "to_at", "segment", "n_from",
            "n_to", "n_unmatched", "rate_from", "rate_to", "delta", "ci_low", "ci_high",
            "p_value", "p_adjusted", "flagged", "method", "model_from", "model_to",
            "prompt_from", "prompt_to"]
    table = pd.DataFrame(rows, columns=[c for c in cols if c not in ("p_adjusted", "flagged")])
    table["segment"] = object_column([r["segment"] for r in rows])
    padj = adjust_pvalues(table["p_value"].to_numpy(dtype=np.float64), method=adjust)
    table["p_adjusted"] = padj
    table["flagged"] = np.nan_to_num(padj, nan=1.0) < (1.0 - cl)
    table = table[cols]
    return DriftResult(table=table, confidence_level=cl, adjust=adjust)


@dataclass(frozen=True, slots=True, kw_only=True)
class DriftResult:
    """Drift between consecutive runs of each eval-set version, overall and per segment.

    Attributes
    ----------
    table : pandas.DataFrame
        One row per (consecutive pair of runs, scope): ``segment`` is ``None`` for the overall
        comparison. Columns: ``rate_from, rate_to, delta`` (to minus from), ``ci_low, ci_high``,
        ``p_value``, ``p_adjusted`` (``adjust`` over the whole table), ``flagged``, ``method``,
        the sizes and both runs' model and prompt hash.
    statistic : float
        The ``delta`` of the most significant comparison (smallest adjusted p-value).
    confidence_interval : ConfidenceInterval
        Its interval.
    drifted : bool
        Whether any comparison is flagged.
    """

    table: pd.DataFrame
    confidence_level: float
    adjust: str

    @property
    def _top(self) -> pd.Series | None:
        t = self.table.dropna(subset=["p_adjusted"])
        if t.empty:
            return None
        return t.sort_values(["p_adjusted", "p_value"], kind="stable").iloc[0]

    @property
    def statistic(self) -> float:
        """Delta (to - from) of the most significant comparison; ``nan`` with none."""
        top = self._top
        return math.nan if top is None else float(top["delta"])

    @property
    def confidence_interval(self) -> ConfidenceInterval:
        """Interval of :attr:`statistic`."""
        top = self._top
        if top is None:
            return ConfidenceInterval(math.nan, math.nan)
        return ConfidenceInterval(float(top["ci_low"]), float(top["ci_high"]))

    @property
    def drifted(self) -> bool:
        """True when any comparison is flagged."""
        return bool(self.table["flagged"].any())

    @property
    def flagged(self) -> pd.DataFrame:
        """The flagged rows only."""
        return self.table[self.table["flagged"]].reset_index(drop=True)

    def __repr__(self) -> str:
        return (f"DriftResult(drifted={self.drifted}, flagged={int(self.table['flagged'].sum())}"
                f", comparisons={len(self.table)}, adjust={self.adjust!r})")

    def to_frame(self) -> pd.DataFrame:
        """Return a copy of :attr:`table`."""
        return self.table.copy()

    def plot(self) -> go.Figure:
        """Deltas with intervals per comparison and segment (flagged ones highlighted)."""
        from evalkit.plots.runs import plot_drift

        return plot_drift(self)

    def _repr_html_(self) -> str:
        n = len(self.table)
        head = (f"<b>Drift</b>: {int(self.table['flagged'].sum())} of {n} comparisons flagged "
                f"({html.escape(self.adjust)}-adjusted, {self.confidence_level:.0%})")
        shown = self.flagged if self.drifted else self.table.head(0)
        cols = ["eval_set_version", "from_run", "to_run", "segment", "rate_from", "rate_to",
                "delta", "ci_low", "ci_high", "p_adjusted", "method"]
        body = shown[cols].to_html(index=False, escape=True, float_format=lambda x: f"{x:.3g}",
                                   na_rep="all") if len(shown) else ""
        return f"<div class='evalkit-drift'>{head}{body}</div>"
