"""Judge bias audits: length bias, position bias and self-preference, each an effect with a CI.

Length bias and self-preference compare the judge's pass rate between two groups of responses
(long vs short; same model family as the judge vs other) *holding the human verdict fixed*: the
effect is a Mantel-Haenszel-weighted risk difference over the human-pass and human-fail strata,
so a judge is not blamed for long answers that really are better.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from evalkit.labels.align import LabelAlignmentError, align_labels, as_labels
from evalkit.stats._common import (
    ConfidenceInterval,
    Estimate,
    check_confidence_level,
    normal_interval,
    warn_undefined,
)
from evalkit.stats._proportions import wilson_interval


@dataclass(frozen=True, slots=True, kw_only=True)
class BiasAudit(Estimate):
    """A judge-bias effect with its interval.

    Attributes
    ----------
    statistic, confidence_interval, standard_error, confidence_level, method, name
        The effect (see each audit for its meaning; 0 means no bias).
    kind : str
        ``'length'``, ``'position'`` or ``'self-preference'``.
    n : int
        Cases (or pairs) used.
    strata : DataFrame
        Per-stratum detail (pass rates by group within each human verdict, or position counts).
    bins : DataFrame
        For length bias: judge pass rate per length bin and human verdict (for plotting).
    """

    kind: str = ""
    n: int = 0
    strata: pd.DataFrame = field(default_factory=pd.DataFrame)
    bins: pd.DataFrame = field(default_factory=pd.DataFrame)


def _stratified_difference(
    judge_pass: NDArray[np.bool_], group: NDArray[np.bool_], stratum: NDArray[Any],
    cl: float, labels: tuple[str, str],
) -> tuple[float, float, pd.DataFrame]:
    """MH-weighted risk difference of judge pass rate (group vs not), with Agresti-Caffo SEs."""
    rows, num, den, var = [], 0.0, 0.0, 0.0
    for s in pd.unique(stratum):
        m = stratum == s
        j1, j0 = judge_pass[m & group], judge_pass[m & ~group]
        n1, n0 = j1.size, j0.size
        p1 = j1.mean() if n1 else math.nan
        p0 = j0.mean() if n0 else math.nan
        row = {"human_verdict": s, f"n_{labels[0]}": n1, f"n_{labels[1]}": n0,
               f"judge_pass_{labels[0]}": p1, f"judge_pass_{labels[1]}": p0,
               "difference": p1 - p0}
        if n1 and n0:
            a1, a0 = (j1.sum() + 1) / (n1 + 2), (j0.sum() + 1) / (n0 + 2)
            v = a1 * (1 - a1) / (n1 + 2) + a0 * (1 - a0) / (n0 + 2)
            lo, hi = normal_interval(p1 - p0, math.sqrt(v), cl)
            row.update(ci_low=max(-1.0, lo), ci_high=min(1.0, hi))
            w = n1 * n0 / (n1 + n0)
            num += w * (p1 - p0)
            den += w
            var += w**2 * v
        else:
            row.update(ci_low=math.nan, ci_high=math.nan)
        rows.append(row)
    frame = pd.DataFrame(rows)
    if den == 0:
        return math.nan, math.nan, frame
    return float(num / den), float(math.sqrt(var) / den), frame


def _audit(
    effect: float, se: float, cl: float, *, kind: str, name: str, n: int, strata: pd.DataFrame,
    bins: pd.DataFrame | None = None, method: str = "mantel-haenszel risk difference",
) -> BiasAudit:
    if not math.isfinite(effect):
        warn_undefined(f"the {kind} bias effect is undefined: no stratum has cases in both "
                       "groups; returning nan.", stacklevel=4)
        ci = ConfidenceInterval(math.nan, math.nan)
    else:
        lo, hi = normal_interval(effect, se, cl)
        ci = ConfidenceInterval(max(-1.0, lo), min(1.0, hi))
    return BiasAudit(statistic=effect, confidence_interval=ci, standard_error=se,
                     confidence_level=cl, method=method, name=name, kind=kind, n=n,
                     strata=strata, bins=bins if bins is not None else pd.DataFrame())


def _aligned_with(human: Any, judge: Any, extra: Any, name: str) -> tuple[pd.DataFrame, pd.Series]:
    both = align_labels(human, judge)
    if isinstance(extra, (pd.Series, pd.DataFrame)) or not np.isscalar(extra):
        e = as_labels(extra, name=name, column=name) if isinstance(extra, pd.DataFrame) else (
            extra if isinstance(extra, pd.Series) else pd.Series(np.asarray(extra)))
        missing = both.index.difference(e.index, sort=False)
        if len(missing):
            raise LabelAlignmentError(f"{len(missing)} traces have no `{name}` "
                                      f"(e.g. {missing[:3].tolist()}).")
        return both, e.reindex(both.index)
    return both, pd.Series(extra, index=both.index)


def length_bias(
    human: Any,
    judge: Any,
    lengths: Any,
    *,
    positive: Any = "pass",
    n_bins: int = 4,
    confidence_level: float = 0.95,
) -> BiasAudit:
    """Test whether the judge passes longer responses more often, at the same human verdict.

    Parameters
    ----------
    human, judge : Series, DataFrame or array_like
        Verdicts, aligned by trace id as in :func:`~evalkit.stats.calibration.calibrate`.
    lengths : Series or array_like
        Response length (characters or tokens) per trace.
    positive : object, default 'pass'
    n_bins : int, default 4
        Length quantile bins for the ``bins`` table (the plot).
    confidence_level : float, default 0.95

    Returns
    -------
    BiasAudit
        ``statistic``: within each human verdict, the judge's pass rate on the longer half minus
        the shorter half (split at that verdict's median length), MH-weighted over the two
        verdicts. 0 means no length bias; 0.3 means long answers get passed 30 points more
        often than short answers that humans judged the same.

    Examples
    --------
    >>> import numpy as np
    >>> human = np.repeat(["pass", "fail"], 8)
    >>> judge = np.array(["pass"] * 8 + ["fail"] * 4 + ["pass"] * 4)  # passes long fails
    >>> lengths = np.tile(np.r_[np.arange(100, 500, 100), np.arange(900, 1300, 100)], 2)
    >>> res = length_bias(human, judge, lengths)
    >>> round(res.statistic, 3)  # human fail: 4/4 long vs 0/4 short pass -> 1; pass: 0
    0.5
    """
    cl = check_confidence_level(confidence_level)
    both, ln = _aligned_with(human, judge, lengths, "lengths")
    ln = pd.to_numeric(ln, errors="coerce")
    if ln.isna().any():
        raise ValueError("`lengths` must be numeric for every trace.")
    hv = both["human"].astype(str).to_numpy()
    jp = (both["judge"] == positive).to_numpy()
    lv = ln.to_numpy(dtype=np.float64)
    long_ = np.zeros(lv.size, dtype=bool)
    for s in pd.unique(hv):
        m = hv == s
        long_[m] = lv[m] > np.median(lv[m])
    eff, se, strata = _stratified_difference(jp, long_, hv, cl, ("long", "short"))
    q = pd.qcut(lv, q=n_bins, duplicates="drop")
    b = pd.DataFrame({"length_bin": q.astype(str), "human_verdict": hv, "judge_pass": jp,
                      "length": lv})
    bins = b.groupby(["length_bin", "human_verdict"], observed=True, sort=False).agg(
        n=("judge_pass", "size"), judge_pass=("judge_pass", "sum"),
        median_length=("length", "median")).reset_index()
    lo, hi = wilson_interval(bins["judge_pass"], bins["n"], confidence_level=cl)
    bins["judge_pass_rate"] = bins["judge_pass"] / bins["n"]
    bins["ci_low"], bins["ci_high"] = lo, hi
    bins = bins.sort_values(["human_verdict", "median_length"]).reset_index(drop=True)
    return _audit(eff, se, cl, kind="length", name="length bias (long - short judge pass rate)",
                  n=int(lv.size), strata=strata, bins=bins)


def self_preference(
    human: Any,
    judge: Any,
    answer_family: Any,
    judge_family: Any,
    *,
    positive: Any = "pass",
    confidence_level: float = 0.95,
) -> BiasAudit:
    """Test whether the judge favours its own model family, at the same human verdict.

    Parameters
    ----------
    human, judge : Series, DataFrame or array_like
        Verdicts aligned by trace id.
    answer_family : Series or array_like
        Model family of the answering model per trace (e.g. ``'gpt'``, ``'claude'``).
    judge_family : str, Series or array_like
        The judge's model family (one string, or per trace).
    positive : object, default 'pass'
    confidence_level : float, default 0.95

    Returns
    -------
    BiasAudit
        ``statistic``: judge pass rate on same-family answers minus other-family answers,
        within human verdict (MH-weighted). 0 means no self-preference.

    Examples
    --------
    >>> human = ["pass", "pass", "fail", "fail"] * 2
    >>> judge = ["pass", "pass", "pass", "fail", "pass", "fail", "fail", "fail"]
    >>> fam = ["gpt"] * 4 + ["claude"] * 4
    >>> round(self_preference(human, judge, fam, "gpt").statistic, 3)
    0.5
    """
    cl = check_confidence_level(confidence_level)
    both, fam = _aligned_with(human, judge, answer_family, "answer_family")
    if isinstance(judge_family, str):
        jf = pd.Series(judge_family, index=both.index)
    else:
        _, jf = _aligned_with(human, judge, judge_family, "judge_family")
    same = (fam.astype(str).str.lower() == jf.astype(str).str.lower()).to_numpy()
    hv = both["human"].astype(str).to_numpy()
    jp = (both["judge"] == positive).to_numpy()
    eff, se, strata = _stratified_difference(jp, same, hv, cl, ("same_family", "other_family"))
    return _audit(eff, se, cl, kind="self-preference",
                  name="self-preference (same - other family judge pass rate)",
                  n=int(jp.size), strata=strata)


def position_bias(
    original: Any,
    swapped: Any,
    *,
    first: str = "A",
    second: str = "B",
    confidence_level: float = 0.95,
) -> BiasAudit:
    """Test whether a pairwise judge is consistent when the two responses swap places.

    Parameters
    ----------
    original : Series or array_like
        Winner per pair when shown in order (``first``, ``second``): ``first``, ``second`` or
        ``'tie'``. Values name the *response*, not the position.
    swapped : Series or array_like
        Winner per pair when shown in order (``second``, ``first``), same naming.
    first, second : str
        The two response names.
    confidence_level : float

    Returns
    -------
    BiasAudit
        ``statistic``: share of decided choices that went to the response shown first, minus
        0.5 (0 means no position bias), with a pair-clustered delta-method interval.
        ``strata`` holds the consistency rate (same winner in both orders, Wilson interval) and
        the counts.

    Examples
    --------
    >>> orig = ["A", "A", "A", "B"]
    >>> swap = ["B", "A", "B", "B"]  # pairs 1 and 3 flip with position
    >>> res = position_bias(orig, swap)
    >>> res.statistic, res.strata["consistency"].item()  # first shown wins 6 of 8
    (0.25, 0.5)
    """
    cl = check_confidence_level(confidence_level)
    o, s = as_labels(original, name="original"), as_labels(swapped, name="swapped")
    if len(o) != len(s) or not o.index.equals(s.index):
        if set(o.index) != set(s.index):
            raise LabelAlignmentError("`original` and `swapped` must cover the same pairs.")
        s = s.reindex(o.index)
    allowed = {first, second, "tie"}
    for name, v in (("original", o), ("swapped", s)):
        bad = ~v.astype(str).isin(allowed)
        if bad.any():
            raise ValueError(f"`{name}` values must be {first!r}, {second!r} or 'tie'; got "
                             f"{v[bad].iloc[0]!r}.")
    ov, sv = o.astype(str).to_numpy(), s.astype(str).to_numpy()
    picks_first = (ov == first).astype(float) + (sv == second).astype(float)
    decided = (ov != "tie").astype(float) + (sv != "tie").astype(float)
    n = ov.size
    total = decided.sum()
    consistent = int(np.sum(ov == sv))
    c_lo, c_hi = wilson_interval(consistent, n, confidence_level=cl)
    strata = pd.DataFrame([{"n_pairs": n, "consistent": consistent,
                            "consistency": consistent / n if n else math.nan,
                            "consistency_ci_low": float(c_lo), "consistency_ci_high": float(c_hi),
                            "first_position_picks": int(picks_first.sum()),
                            "decided_choices": int(total)}])
    if total == 0 or n < 2:
        return _audit(math.nan, math.nan, cl, kind="position", name="position bias", n=n,
                      strata=strata, method="pair-clustered delta")
    r = picks_first.sum() / total
    resid = picks_first - r * decided
    se = math.sqrt(np.sum(resid**2) * n / (n - 1)) / total
    return _audit(float(r - 0.5), se, cl, kind="position",
                  name="position bias (first-shown win share - 0.5)", n=n, strata=strata,
                  method="pair-clustered delta")
