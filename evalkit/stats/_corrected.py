"""The judge's pass rate on unlabeled traffic, corrected for its errors (Rogan-Gladen).

The interval carries both the unlabeled and the calibration uncertainty (Lee et al. 2025, or a
two-sample bootstrap). Re-exported from :mod:`evalkit.stats.calibration`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from evalkit.labels.align import as_labels
from evalkit.stats._calibrate import _segments_of
from evalkit.stats._common import (
    ConfidenceInterval,
    Estimate,
    RNGLike,
    as_rng,
    check_choice,
    check_confidence_level,
    check_n_resamples,
    warn_undefined,
)
from evalkit.stats._confusion import OVERALL, CalibrationResult
from evalkit.stats._proportions import proportion_interval
from evalkit.stats._rogan_gladen import bootstrap_corrected, lee_interval, rogan_gladen

CorrectionMethod = Literal["lee2025", "bootstrap"]
CORRECTION_METHODS: tuple[str, ...] = ("lee2025", "bootstrap")
_NAN_CI = ConfidenceInterval(math.nan, math.nan)


@dataclass(frozen=True, slots=True, kw_only=True)
class CorrectedPassRate(Estimate):
    """The judge's pass rate corrected for its errors (Rogan-Gladen).

    Attributes
    ----------
    statistic, confidence_interval, standard_error, confidence_level, method, name
        As in :class:`Estimate`.
    raw_pass_rate : float
        The judge's uncorrected pass rate on the unlabeled verdicts.
    raw_confidence_interval : ConfidenceInterval
        Wilson interval of the raw pass rate (ignores the judge's errors).
    n_unlabeled, n_calibration : int
    tpr, tnr : float
        Judge TPR and TNR from the calibration used.
    segments : dict
        Segment -> :class:`CorrectedPassRate` (with ``by=``).
    """

    raw_pass_rate: float = math.nan
    raw_confidence_interval: ConfidenceInterval = _NAN_CI
    n_unlabeled: int = 0
    n_calibration: int = 0
    tpr: float = math.nan
    tnr: float = math.nan
    by: str | None = None
    segments: Mapping[str, CorrectedPassRate] = field(default_factory=dict)

    def to_frame(self) -> pd.DataFrame:
        """Tidy frame: one row per segment (``'(all)'`` first) with corrected and raw rates."""
        rows = []
        for seg, r in [(OVERALL, self), *self.segments.items()]:
            d = Estimate.to_dict(r)
            d.pop("raw_confidence_interval", None)
            d["raw_ci_low"], d["raw_ci_high"] = r.raw_confidence_interval
            rows.append({"segment": seg, **d})
        return pd.DataFrame(rows)


def _pass_indicator(verdicts: pd.Series, cal: CalibrationResult) -> NDArray[np.bool_]:
    vals = verdicts
    allowed = {cal.positive, cal.negative}
    if cal.positive == 1 and set(pd.unique(vals)) <= {0, 1}:
        return (vals == 1).to_numpy()
    bad = ~vals.isin(list(allowed))
    if bad.any():
        raise ValueError(
            f"judge verdicts must be {cal.positive!r} or {cal.negative!r} (as in the "
            f"calibration); got {vals[bad].iloc[0]!r} for trace {vals.index[bad][0]!r}."
        )
    return (vals == cal.positive).to_numpy()


def _corrected_one(
    passed: NDArray[np.bool_], cal: CalibrationResult, *, method: str, cl: float,
    n_resamples: int, rng: np.random.Generator, bootstrap_method: str,
) -> CorrectedPassRate:
    n = int(passed.size)
    k = int(passed.sum())
    p = k / n if n else math.nan
    raw_lo, raw_hi = proportion_interval(k, n, confidence_level=cl, method="wilson")
    tpr, tnr = cal.tpr.statistic, cal.tnr.statistic
    base: dict[str, Any] = {
        "raw_pass_rate": p,
        "raw_confidence_interval": ConfidenceInterval(float(raw_lo), float(raw_hi)),
        "n_unlabeled": n, "n_calibration": cal.n, "tpr": tpr, "tnr": tnr,
        "confidence_level": cl, "method": method, "name": "corrected pass rate",
    }
    nan_ci = ConfidenceInterval(math.nan, math.nan)
    if n == 0:
        warn_undefined("no judge verdicts to correct; returning nan.", stacklevel=4)
        return CorrectedPassRate(statistic=math.nan, confidence_interval=nan_ci, **base)
    if not (math.isfinite(tpr) and math.isfinite(tnr)):
        warn_undefined("TPR or TNR is undefined (the calibration set lacks human-pass or "
                       "human-fail cases); the corrected pass rate is nan.", stacklevel=4)
        return CorrectedPassRate(statistic=math.nan, confidence_interval=nan_ci, **base)
    if tpr + tnr <= 1:
        warn_undefined(f"TPR + TNR = {tpr + tnr:.3f} <= 1: the judge is no better than chance "
                       "and the Rogan-Gladen correction is undefined; returning nan.",
                       stacklevel=4)
        return CorrectedPassRate(statistic=math.nan, confidence_interval=nan_ci, **base)
    theta = float(rogan_gladen(p, tpr, tnr))
    if method == "lee2025":
        lo, hi, se = lee_interval(p, tpr, tnr, n, cal.n_positive, cal.n_negative,
                                  confidence_level=cl)
        ci, se_f = ConfidenceInterval(float(lo), float(hi)), float(se)
    else:
        res = bootstrap_corrected(cal.tp, cal.fn, cal.fp, cal.tn, k, n, n_resamples=n_resamples,
                                  confidence_level=cl, method=bootstrap_method,  # type: ignore[arg-type]
                                  rng=rng)
        ci, se_f = res.confidence_interval, res.standard_error
    return CorrectedPassRate(statistic=theta, confidence_interval=ci, standard_error=se_f, **base)


def corrected_pass_rate(
    judge_verdicts: Any,
    calibration: CalibrationResult,
    *,
    method: CorrectionMethod = "lee2025",
    confidence_level: float = 0.95,
    by: str | pd.Series | None = None,
    n_resamples: int = 20_000,
    bootstrap_method: Literal["percentile", "basic", "bca"] = "percentile",
    rng: RNGLike = None,
) -> CorrectedPassRate:
    r"""Correct the judge's pass rate on unlabeled traffic for the judge's errors.

    Parameters
    ----------
    judge_verdicts : Series, DataFrame or array_like
        The judge's verdicts on the cases to score (a DataFrame uses its ``verdict`` column).
    calibration : CalibrationResult
        From :func:`calibrate` on a separate human-labelled set.
    method : {'lee2025', 'bootstrap'}, default 'lee2025'
        ``'lee2025'``: the analytic adjusted interval of Lee et al. (2025). ``'bootstrap'``:
        resample both the calibration cases and the unlabeled verdicts (vectorised).
    confidence_level : float, default 0.95
    by : str or Series, optional
        Segment column of ``judge_verdicts`` (or a Series by trace id): adds per-segment rates.
        A segment uses its own TPR/TNR when ``calibration`` was computed with the same ``by``
        and has that segment, else the overall calibration.
    n_resamples : int, default 20000
    bootstrap_method : {'percentile', 'basic', 'bca'}, default 'percentile'
    rng : Generator, int or None

    Returns
    -------
    CorrectedPassRate
        ``statistic`` (corrected rate), ``confidence_interval``, ``raw_pass_rate``, ``tpr``,
        ``tnr``, ``segments``; ``to_frame()``.

    Notes
    -----
    Rogan-Gladen: :math:`\hat\theta = \mathrm{clip}_{[0,1]}\left(
    \frac{\hat p + \widehat{TNR} - 1}{\widehat{TPR} + \widehat{TNR} - 1}\right)`, the same
    point estimate as ``judgy.estimate_success_rate``. When ``TPR + TNR <= 1`` the judge is no
    better than chance: the result is ``nan`` with an
    :class:`~evalkit.errors.UndefinedStatisticWarning`.

    References
    ----------
    Rogan & Gladen (1978), doi:10.1093/oxfordjournals.aje.a112510. Lee, Zeng, Jeong, Sohn & Lee
    (2025), How to Correctly Report LLM-as-a-Judge Evaluations, arXiv:2511.21140.

    Examples
    --------
    >>> import numpy as np
    >>> from evalkit.stats.calibration import calibrate
    >>> cal = calibrate(np.repeat(["pass", "fail"], 200),
    ...                 np.r_[np.repeat(["pass", "fail"], [180, 20]),
    ...                       np.repeat(["pass", "fail"], [60, 140])])
    >>> res = corrected_pass_rate(np.repeat(["pass", "fail"], [400, 600]), cal)
    >>> round(res.statistic, 4)  # (0.4 + 0.7 - 1) / (0.9 + 0.7 - 1)
    0.1667
    >>> [round(x, 4) for x in res.confidence_interval]  # Lee et al. README values
    [0.0564, 0.2627]
    """
    cl = check_confidence_level(confidence_level)
    check_choice("method", method, CORRECTION_METHODS)
    check_choice("bootstrap_method", bootstrap_method, ("percentile", "basic", "bca"))
    if not isinstance(calibration, CalibrationResult):
        raise TypeError("`calibration` must be a CalibrationResult from `calibrate`; got "
                        f"{type(calibration).__name__}.")
    if method == "bootstrap":
        check_n_resamples(n_resamples)
    verdicts = as_labels(judge_verdicts, name="judge_verdicts")
    passed = _pass_indicator(verdicts, calibration)
    gen = as_rng(rng)
    kw = {"method": method, "cl": cl, "n_resamples": n_resamples, "rng": gen,
              "bootstrap_method": bootstrap_method}
    overall = _corrected_one(passed, calibration, **kw)  # type: ignore[arg-type]
    if by is None:
        return overall
    seg = _segments_of(by, judge_verdicts, None, verdicts.index,
                       where="`judge_verdicts`").to_numpy()
    by_name = by if isinstance(by, str) else str(getattr(by, "name", None) or "segment")
    segs = {}
    for s in sorted(pd.unique(seg)):
        cal = calibration
        if calibration.by == by_name and str(s) in calibration.segments:
            cal = calibration.segments[str(s)]
        segs[str(s)] = _corrected_one(passed[seg == s], cal, **kw)  # type: ignore[arg-type]
    return replace(overall, by=by_name, segments=segs)
