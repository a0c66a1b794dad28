"""Score judges: ROC / threshold sweep against binary human labels, and ordinal agreement.

A 1-5 rubric or a continuous judge score is turned into a pass/fail judge by a threshold
(pass when ``score >= threshold``). :func:`threshold_sweep` computes TPR/TNR at every threshold,
the AUC with a DeLong interval, and picks a threshold meeting target TPR/TNR.
:func:`ordinal_agreement` compares ordinal human and judge scores (weighted kappa, Spearman).
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray
from scipy import stats

from evalkit.labels.align import align_labels
from evalkit.stats._common import (
    ConfidenceInterval,
    Estimate,
    check_choice,
    check_confidence_level,
    normal_interval,
    warn_undefined,
    z_value,
)
from evalkit.stats._warnings import StatisticsInputError, plain_id

FloatArray = NDArray[np.float64]
KappaWeights = Literal["quadratic", "linear"]


def delta_se_multinomial(fn: Callable[[FloatArray], FloatArray], cells: FloatArray) -> float:
    r"""Delta-method standard error of a scale-free function of multinomial cell counts.

    ``fn`` maps shape ``(m, k)`` cell proportions to ``(m,)``; the variance is
    :math:`(g^T \mathrm{diag}(\pi) g - (g^T\pi)^2)/n` with ``g`` the numerical gradient.
    """
    c = np.asarray(cells, dtype=np.float64).ravel()
    n = c.sum()
    pi = c / n
    h = 1e-6
    steps = np.eye(c.size) * h
    with np.errstate(all="ignore"):
        grad = (fn(pi[None, :] + steps) - fn(pi[None, :] - steps)) / (2 * h)
    if not np.all(np.isfinite(grad)):
        return math.nan
    var = (grad**2 @ pi - (grad @ pi) ** 2) / n
    return float(math.sqrt(max(var, 0.0)))


@dataclass(frozen=True, slots=True, kw_only=True)
class ThresholdSweep:
    """ROC of a score judge against binary human labels, and the chosen threshold.

    Attributes
    ----------
    roc : DataFrame
        One row per threshold (descending): ``threshold, tpr, tnr, fpr, youden, meets_target``.
        The judge passes when ``score >= threshold``.
    auc : Estimate
        Area under the ROC curve with a DeLong interval.
    threshold : float
        Chosen threshold: the best Youden J among those meeting ``min_tpr``/``min_tnr`` (or
        overall when no target is set); ``nan`` when no threshold meets the targets.
    tpr, tnr : float
        At the chosen threshold.
    meets_target : bool
    min_tpr, min_tnr : float or None
    n_positive, n_negative : int
    """

    roc: pd.DataFrame
    auc: Estimate
    threshold: float
    tpr: float
    tnr: float
    meets_target: bool
    min_tpr: float | None
    min_tnr: float | None
    n_positive: int
    n_negative: int

    def to_frame(self) -> pd.DataFrame:
        """The ROC table."""
        return self.roc.copy()

    def _repr_html_(self) -> str:
        t = "none meets the targets" if math.isnan(self.threshold) else f"{self.threshold:g}"
        return (f"<div class='evalkit-threshold'><b>Threshold sweep</b>: AUC "
                f"{self.auc.statistic:.3f} ({self.auc.confidence_interval.low:.3f} to "
                f"{self.auc.confidence_interval.high:.3f}); chosen threshold "
                f"{html.escape(t)} (TPR {self.tpr:.3f}, TNR {self.tnr:.3f})</div>")


def _auc_delong(pos: FloatArray, neg: FloatArray) -> tuple[float, float]:
    """AUC and its DeLong standard error from placement values (ties count half)."""
    neg_s, pos_s = np.sort(neg), np.sort(pos)
    # V10: for each positive, share of negatives below it (+ half ties)
    v10 = (np.searchsorted(neg_s, pos, "left") + np.searchsorted(neg_s, pos, "right")) / (
        2.0 * neg.size)
    # V01: for each negative, share of positives above it (+ half ties)
    v01 = 1.0 - (np.searchsorted(pos_s, neg, "left") + np.searchsorted(pos_s, neg, "right")) / (
        2.0 * pos.size)
    auc = float(v10.mean())
    var = 0.0
    if pos.size > 1:
        var += float(np.var(v10, ddof=1)) / pos.size
    if neg.size > 1:
        var += float(np.var(v01, ddof=1)) / neg.size
    return auc, math.sqrt(var)


def threshold_sweep(
    human: Any,
    scores: Any,
    *,
    positive: Any = "pass",
    min_tpr: float | None = None,
    min_tnr: float | None = None,
    confidence_level: float = 0.95,
) -> ThresholdSweep:
    """Sweep the pass threshold of a score judge against binary human labels.

    Parameters
    ----------
    human : Series, DataFrame or array_like
        Human verdicts (aligned by trace id as in :func:`~evalkit.stats.calibration.calibrate`).
    scores : Series, DataFrame or array_like
        Judge scores (a DataFrame uses its ``score`` column); higher means more likely pass.
    positive : object, default 'pass'
    min_tpr, min_tnr : float, optional
        Targets the chosen threshold must meet.
    confidence_level : float, default 0.95

    Returns
    -------
    ThresholdSweep

    References
    ----------
    DeLong, E. R., DeLong, D. M., & Clarke-Pearson, D. L. (1988). Comparing the areas under two
    or more correlated receiver operating characteristic curves. Biometrics 44(3), 837-845.

    Examples
    --------
    >>> sweep = threshold_sweep(["pass", "pass", "fail", "pass", "fail"], [5, 4, 2, 3, 4],
    ...                         min_tpr=0.6)
    >>> sweep.threshold, round(sweep.tpr, 3), sweep.tnr  # score >= 3 passes
    (3.0, 1.0, 0.5)
    >>> round(sweep.auc.statistic, 4)  # pairs (pos > neg): 5>2,5>4,4>2,4=4 (half),3>2 -> 4.5/6
    0.75
    """
    cl = check_confidence_level(confidence_level)
    aligned = align_labels(human, scores, judge_column="score")
    s = pd.to_numeric(aligned["judge"], errors="coerce").to_numpy(dtype=np.float64)
    if np.isnan(s).any():
        raise StatisticsInputError("`scores` must be numeric; got non-numeric values.")
    y = (aligned["human"] == positive).to_numpy()
    if positive not in set(aligned["human"]) and set(aligned["human"]) <= {0, 1}:
        y = (aligned["human"] == 1).to_numpy()
    pos, neg = s[y], s[~y]
    if pos.size == 0 or neg.size == 0:
        raise StatisticsInputError(
            "threshold_sweep needs both human-pass and human-fail cases; got "
            f"{pos.size} pass and {neg.size} fail."
        )
    thr = np.r_[np.inf, np.unique(s)[::-1]]
    pos_s, neg_s = np.sort(pos), np.sort(neg)
    tpr = (pos.size - np.searchsorted(pos_s, thr, "left")) / pos.size
    tnr = np.searchsorted(neg_s, thr, "left") / neg.size
    meets = np.ones(thr.size, dtype=bool)
    if min_tpr is not None:
        meets &= tpr >= min_tpr
    if min_tnr is not None:
        meets &= tnr >= min_tnr
    youden = tpr + tnr - 1.0
    roc = pd.DataFrame({"threshold": thr, "tpr": tpr, "tnr": tnr, "fpr": 1 - tnr,
                        "youden": youden, "meets_target": meets})
    if meets.any():
        i = int(np.flatnonzero(meets)[np.argmax(youden[meets])])
        chosen, ctpr, ctnr = float(thr[i]), float(tpr[i]), float(tnr[i])
    else:
        chosen, ctpr, ctnr = math.nan, math.nan, math.nan
    auc, se = _auc_delong(pos, neg)
    lo, hi = normal_interval(auc, se, cl)
    auc_est = Estimate(statistic=auc, confidence_interval=ConfidenceInterval(max(0.0, lo),
                       min(1.0, hi)), standard_error=se, confidence_level=cl, method="delong",
                       name="AUC")
    return ThresholdSweep(roc=roc, auc=auc_est, threshold=chosen, tpr=ctpr, tnr=ctnr,
                          meets_target=bool(meets.any()), min_tpr=min_tpr, min_tnr=min_tnr,
                          n_positive=int(pos.size), n_negative=int(neg.size))


@dataclass(frozen=True, slots=True, kw_only=True)
class OrdinalAgreement:
    """Agreement between ordinal human and judge scores.

    Attributes
    ----------
    weighted_kappa : Estimate
        Cohen's weighted kappa (delta-method interval).
    spearman : Estimate
        Spearman's rho (Fisher-z interval with the Bonett-Wright standard error).
    exact_agreement, within_one : Estimate
        Share of identical scores and of scores at most one point apart (Wilson intervals).
    n : int
    weights : str
    """

    weighted_kappa: Estimate
    spearman: Estimate
    exact_agreement: Estimate
    within_one: Estimate
    n: int
    weights: str

    def to_frame(self) -> pd.DataFrame:
        """One row per statistic."""
        return pd.concat([e.to_frame() for e in (self.weighted_kappa, self.spearman,
                          self.exact_agreement, self.within_one)], ignore_index=True)

    def _repr_html_(self) -> str:
        return "<div class='evalkit-ordinal'><b>Ordinal agreement</b>" + self.to_frame()[
            ["name", "statistic", "ci_low", "ci_high", "method"]].to_html(index=False) + "</div>"


def ordinal_agreement(
    human_scores: Any,
    judge_scores: Any,
    *,
    weights: KappaWeights = "quadratic",
    confidence_level: float = 0.95,
) -> OrdinalAgreement:
    r"""Weighted kappa and Spearman correlation between ordinal human and judge scores.

    Parameters
    ----------
    human_scores, judge_scores : Series, DataFrame or array_like
        Numeric scores (a DataFrame uses its ``score`` column), aligned by trace id.
    weights : {'quadratic', 'linear'}, default 'quadratic'
        Disagreement weights over the category ranks, as in
        ``sklearn.metrics.cohen_kappa_score``.
    confidence_level : float, default 0.95

    Returns
    -------
    OrdinalAgreement

    Notes
    -----
    :math:`\kappa_w = 1 - \sum w_{ij} O_{ij} / \sum w_{ij} E_{ij}` with
    :math:`w_{ij} = (i-j)^2` (quadratic) or :math:`|i-j|` (linear) over category ranks. With a
    single category used by both, kappa is ``nan`` with an UndefinedStatisticWarning.

    References
    ----------
    Cohen, J. (1968). Weighted kappa. Psychological Bulletin 70(4), 213-220.
    Bonett, D. G., & Wright, T. A. (2000). Sample size requirements for estimating Pearson,
    Kendall and Spearman correlations. Psychometrika 65(1), 23-28.

    Examples
    --------
    >>> res = ordinal_agreement([1, 2, 3, 4, 5], [1, 2, 3, 5, 4], weights="linear")
    >>> round(res.weighted_kappa.statistic, 4), round(res.spearman.statistic, 4)
    (0.8, 0.9)
    """
    cl = check_confidence_level(confidence_level)
    check_choice("weights", weights, ("quadratic", "linear"))
    hs = human_scores
    if isinstance(hs, pd.DataFrame) and "score" in hs.columns:
        hs = hs.rename(columns={"verdict": "_verdict", "score": "verdict"})
    aligned = align_labels(hs, judge_scores, judge_column="score")
    h = pd.to_numeric(aligned["human"], errors="coerce").to_numpy(dtype=np.float64)
    j = pd.to_numeric(aligned["judge"], errors="coerce").to_numpy(dtype=np.float64)
    for side, arr in (("human_scores", h), ("judge_scores", j)):
        if np.isnan(arr).any():
            bad = aligned["human" if side == "human_scores" else "judge"][np.isnan(arr)]
            raise StatisticsInputError(
                f"ordinal_agreement needs numeric scores on both sides; `{side}` has "
                f"{bad.iloc[0]!r} for trace {plain_id(bad.index[0])!r}. For labels such as "
                "low/medium/high, map them to numbers in their order first.")
    n = h.size
    cats = np.unique(np.r_[h, j])
    k = cats.size
    hi_, ji_ = np.searchsorted(cats, h), np.searchsorted(cats, j)
    table = np.zeros((k, k))
    np.add.at(table, (hi_, ji_), 1.0)
    idx = np.arange(k)
    d = np.abs(idx[:, None] - idx[None, :]).astype(np.float64)
    w = (d**2 if weights == "quadratic" else d).ravel()

    def kappa_w(pi: FloatArray) -> FloatArray:
        p = pi.reshape(-1, k, k)
        tot = p.sum(axis=(1, 2))
        p = p / tot[:, None, None]
        exp = p.sum(axis=2)[:, :, None] * p.sum(axis=1)[:, None, :]
        return 1.0 - (p.reshape(-1, k * k) @ w) / (exp.reshape(-1, k * k) @ w)

    with np.errstate(all="ignore"):
        kw = float(kappa_w(table.ravel()[None, :])[0])
    z = z_value(cl)
    if math.isfinite(kw):
        se = delta_se_multinomial(kappa_w, table.ravel())
        kci = ConfidenceInterval(max(-1.0, kw - z * se), min(1.0, kw + z * se))
    else:
        warn_undefined("weighted kappa is undefined (one category only); returning nan.")
        se, kci = math.nan, ConfidenceInterval(math.nan, math.nan)
    kappa_est = Estimate(statistic=kw, confidence_interval=kci, standard_error=se,
                         confidence_level=cl, method="delta", name=f"{weights} weighted kappa")
    with np.errstate(all="ignore"):
        rho = float(stats.spearmanr(h, j).statistic) if n > 1 else math.nan
    if math.isfinite(rho) and n > 3 and abs(rho) < 1:
        se_z = math.sqrt((1 + rho**2 / 2) / (n - 3))
        zr = math.atanh(rho)
        rci = ConfidenceInterval(math.tanh(zr - z * se_z), math.tanh(zr + z * se_z))
    else:
        if not math.isfinite(rho):
            warn_undefined("Spearman's rho is undefined (constant scores); returning nan.")
        se_z, rci = math.nan, ConfidenceInterval(rho, rho) if math.isfinite(rho) else \
            ConfidenceInterval(math.nan, math.nan)
    rho_est = Estimate(statistic=rho, confidence_interval=rci, standard_error=se_z,
                       confidence_level=cl, method="fisher-z (Bonett-Wright)", name="spearman")
    from evalkit.stats._proportions import wilson_interval

    def prop(k_: int, name: str) -> Estimate:
        lo, hi = wilson_interval(k_, n, confidence_level=cl)
        return Estimate(statistic=k_ / n, confidence_interval=ConfidenceInterval(float(lo),
                        float(hi)), standard_error=math.sqrt(k_ / n * (1 - k_ / n) / n),
                        confidence_level=cl, method="wilson", name=name)

    return OrdinalAgreement(
        weighted_kappa=kappa_est, spearman=rho_est,
        exact_agreement=prop(int(np.sum(h == j)), "exact agreement"),
        within_one=prop(int(np.sum(np.abs(hi_ - ji_) <= 1)), "within one category"),
        n=int(n), weights=weights,
    )
