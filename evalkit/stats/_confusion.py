"""A binary judge's confusion cells: nine metrics with intervals, in a :class:`CalibrationResult`.

Each metric is a vectorised function of the summed cells ``tp, fn, fp, tn``; proportions get a
binomial interval, balanced accuracy, F1 and kappa the delta method, or all a BCa bootstrap.
Re-exported from :mod:`evalkit.stats.calibration`.
"""

from __future__ import annotations

import html
import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from evalkit.stats._common import (
    ConfidenceInterval,
    Estimate,
    RNGLike,
    as_rng,
    bootstrap_interval,
    warn_undefined,
    z_value,
)
from evalkit.stats._proportions import PROPORTION_METHODS, proportion_interval
from evalkit.stats._rogan_gladen import count_units
from evalkit.stats._threshold import delta_se_multinomial
from evalkit.stats._warnings import StatisticsInputError

CalibrationMethod = Literal["wilson", "clopper-pearson", "jeffreys", "bootstrap"]
CALIBRATION_METHODS: tuple[str, ...] = (*PROPORTION_METHODS, "bootstrap")

FloatArray = NDArray[np.float64]
OVERALL = "(all)"

# --------------------------------------------------------------------------- metrics of the cells
# Each metric is a vectorised function of summed confusion cells, shape (m, 4): tp, fn, fp, tn.


def _tpr(c: FloatArray) -> FloatArray:
    return c[:, 0] / (c[:, 0] + c[:, 1])


def _tnr(c: FloatArray) -> FloatArray:
    return c[:, 3] / (c[:, 2] + c[:, 3])


def _precision(c: FloatArray) -> FloatArray:
    return c[:, 0] / (c[:, 0] + c[:, 2])


def _npv(c: FloatArray) -> FloatArray:
    return c[:, 3] / (c[:, 3] + c[:, 1])


def _accuracy(c: FloatArray) -> FloatArray:
    return (c[:, 0] + c[:, 3]) / c.sum(axis=1)


def _balanced(c: FloatArray) -> FloatArray:
    return (_tpr(c) + _tnr(c)) / 2.0


def _f1(c: FloatArray) -> FloatArray:
    return 2 * c[:, 0] / (2 * c[:, 0] + c[:, 1] + c[:, 2])


def _kappa(c: FloatArray) -> FloatArray:
    n = c.sum(axis=1)
    po = (c[:, 0] + c[:, 3]) / n
    pe = ((c[:, 0] + c[:, 1]) * (c[:, 0] + c[:, 2]) + (c[:, 2] + c[:, 3]) * (c[:, 1] + c[:, 3]))
    pe = pe / n**2
    return (po - pe) / (1.0 - pe)


def _prevalence(c: FloatArray) -> FloatArray:
    return (c[:, 0] + c[:, 1]) / c.sum(axis=1)


# name -> (function, binomial (successes, trials) index pairs or None, range, description)
_METRICS: dict[str, tuple[Callable[[FloatArray], FloatArray], Any, tuple[float, float], str]] = {
    "tpr": (_tpr, ((0,), (0, 1)), (0, 1), "share of human-pass cases the judge passes"),
    "tnr": (_tnr, ((3,), (2, 3)), (0, 1), "share of human-fail cases the judge fails"),
    "precision": (_precision, ((0,), (0, 2)), (0, 1), "share of judge passes that humans pass"),
    "npv": (_npv, ((3,), (1, 3)), (0, 1), "share of judge fails that humans fail"),
    "accuracy": (_accuracy, ((0, 3), (0, 1, 2, 3)), (0, 1), "share of cases where they agree"),
    "balanced_accuracy": (_balanced, None, (0, 1), "mean of TPR and TNR"),
    "f1": (_f1, None, (0, 1), "harmonic mean of precision and TPR"),
    "kappa": (_kappa, None, (-1, 1), "Cohen's kappa, chance-corrected agreement"),
    "prevalence": (_prevalence, ((0, 1), (0, 1, 2, 3)), (0, 1), "human pass rate"),
}
METRIC_NAMES: tuple[str, ...] = tuple(_METRICS)


# --------------------------------------------------------------------------- result


@dataclass(frozen=True, slots=True, kw_only=True)
class CalibrationResult:
    """How a binary judge agrees with human labels.

    Attributes
    ----------
    tpr, tnr, precision, npv, accuracy, balanced_accuracy, f1, kappa, prevalence : Estimate
        Each with ``.statistic`` and ``.confidence_interval``. TPR is the share of human-pass
        cases the judge passes; TNR the share of human-fail cases it fails; prevalence is the
        human pass rate.
    confusion_matrix : DataFrame
        Rows are human verdicts, columns judge verdicts (positive first).
    n, n_positive, n_negative : int
        Cases; human-pass cases; human-fail cases.
    tp, fn, fp, tn : int
        The confusion cells (positive = ``positive``).
    positive, negative : object
        The verdict values taken as pass and fail.
    confidence_level : float
    method : str
        Interval method for the proportions (balanced accuracy, F1 and kappa use the delta
        method unless ``method='bootstrap'``).
    by : str or None
        The segment column, when per-segment results are attached.
    segments : dict
        Segment name -> :class:`CalibrationResult`.
    """

    tpr: Estimate
    tnr: Estimate
    precision: Estimate
    npv: Estimate
    accuracy: Estimate
    balanced_accuracy: Estimate
    f1: Estimate
    kappa: Estimate
    prevalence: Estimate
    confusion_matrix: pd.DataFrame
    n: int
    n_positive: int
    n_negative: int
    tp: int
    fn: int
    fp: int
    tn: int
    positive: Any = "pass"
    negative: Any = "fail"
    confidence_level: float = 0.95
    method: str = "wilson"
    by: str | None = None
    segments: Mapping[str, CalibrationResult] = field(default_factory=dict)

    @classmethod
    def from_counts(
        cls, *, tp: int, fn: int, fp: int, tn: int, positive: Any = "pass",
        negative: Any = "fail", confidence_level: float = 0.95,
        method: CalibrationMethod = "wilson", n_resamples: int = 2000, rng: RNGLike = None,
    ) -> CalibrationResult:
        """Build the result from confusion counts (e.g. computed in a warehouse), not rows.

        Parameters
        ----------
        tp, fn, fp, tn : int
            Human-pass & judge-pass, human-pass & judge-fail, human-fail & judge-pass,
            human-fail & judge-fail counts.
        positive, negative : object
            Names of the pass and fail verdicts, for display.
        confidence_level, method, n_resamples, rng
            As in :func:`~evalkit.stats.calibration.calibrate`.

        Returns
        -------
        CalibrationResult
            Equal to ``calibrate`` on rows with these cells.

        Raises
        ------
        StatisticsInputError
            A count that is not a non-negative integer.

        Examples
        --------
        >>> res = CalibrationResult.from_counts(tp=5, fn=1, fp=1, tn=3)
        >>> round(res.tpr.statistic, 4), round(res.tnr.statistic, 4)  # 5/6, 3/4
        (0.8333, 0.75)
        """
        from evalkit.stats._common import check_choice, check_confidence_level, check_n_resamples

        cells = []
        for name, v in (("tp", tp), ("fn", fn), ("fp", fp), ("tn", tn)):
            ok = isinstance(v, (int, np.integer)) and not isinstance(v, (bool, np.bool_))
            if not ok and isinstance(v, (float, np.floating)) and float(v).is_integer():
                ok, v = True, int(v)
            if not ok or v < 0:
                raise StatisticsInputError(
                    f"`{name}` must be a non-negative integer count; got {v!r}.")
            cells.append(float(v))
        cl = check_confidence_level(confidence_level)
        check_choice("method", method, CALIBRATION_METHODS)
        if method == "bootstrap":
            check_n_resamples(n_resamples)
        return _result_from_cells(
            np.array(cells), positive=positive, negative=negative, confidence_level=cl,
            method=method, n_resamples=n_resamples, rng=rng,
        )

    @property
    def judge_pass_rate(self) -> float:
        """Raw share of calibration cases the judge passes."""
        return (self.tp + self.fp) / self.n if self.n else math.nan

    def metrics(self) -> dict[str, Estimate]:
        """Return ``{metric name: Estimate}`` in display order."""
        return {name: getattr(self, name) for name in METRIC_NAMES}

    def to_frame(self) -> pd.DataFrame:
        """Tidy frame: one row per (segment, metric) with statistic, ci_low, ci_high, n.

        The overall result has segment ``'(all)'``; segments follow when ``by=`` was used.
        """
        rows = []
        parts: list[tuple[str, CalibrationResult]] = [(OVERALL, self), *self.segments.items()]
        for seg, res in parts:
            for name, est in res.metrics().items():
                rows.append({
                    "segment": seg, "metric": name, "statistic": est.statistic,
                    "ci_low": est.confidence_interval.low,
                    "ci_high": est.confidence_interval.high,
                    "standard_error": est.standard_error, "n": res.n,
                    "n_positive": res.n_positive, "n_negative": res.n_negative,
                    "method": est.method, "confidence_level": est.confidence_level,
                })
        return pd.DataFrame(rows)

    def recompute(
        self, *, method: CalibrationMethod = "wilson", confidence_level: float | None = None,
        n_resamples: int = 2000, rng: RNGLike = None,
    ) -> CalibrationResult:
        """Recompute the intervals with another method or level (cells are kept)."""
        cl = self.confidence_level if confidence_level is None else confidence_level
        cells = np.array([self.tp, self.fn, self.fp, self.tn], dtype=np.float64)
        new = _result_from_cells(
            cells, positive=self.positive, negative=self.negative, confidence_level=cl,
            method=method, n_resamples=n_resamples, rng=rng,
        )
        segs = {k: v.recompute(method=method, confidence_level=cl, n_resamples=n_resamples,
                               rng=rng) for k, v in self.segments.items()}
        return replace(new, by=self.by, segments=segs)

    def _repr_html_(self) -> str:
        level = f"{self.confidence_level:.0%}"
        rows = "".join(
            f"<tr><td style='text-align:left'>{html.escape(k)}</td>"
            f"<td>{e.statistic:.3f}</td><td>{e.confidence_interval.low:.3f} to "
            f"{e.confidence_interval.high:.3f}</td>"
            f"<td style='text-align:left;color:#555'>{html.escape(_METRICS[k][3])}</td></tr>"
            for k, e in self.metrics().items()
        )
        cm = self.confusion_matrix.to_html(classes="evalkit-confusion", border=0)
        seg = ""
        if self.segments:
            seg = f"<p>{len(self.segments)} segments by <code>{html.escape(str(self.by))}</code>;"
            seg += " see <code>to_frame()</code>.</p>"
        return (
            f"<div class='evalkit-calibration'><b>Judge calibration</b> "
            f"<span style='color:#555'>n={self.n} ({self.n_positive} human pass, "
            f"{self.n_negative} human fail), {level} {html.escape(self.method)} intervals</span>"
            f"<table><tr><th>metric</th><th>estimate</th><th>{level} CI</th><th></th></tr>"
            f"{rows}</table>{cm}{seg}</div>"
        )

    def __str__(self) -> str:
        return (
            f"CalibrationResult(n={self.n}, TPR={self.tpr.statistic:.3f} "
            f"[{self.tpr.confidence_interval.low:.3f}, {self.tpr.confidence_interval.high:.3f}], "
            f"TNR={self.tnr.statistic:.3f} [{self.tnr.confidence_interval.low:.3f}, "
            f"{self.tnr.confidence_interval.high:.3f}], method={self.method!r})"
        )


def _result_from_cells(
    cells: FloatArray,
    *,
    positive: Any,
    negative: Any,
    confidence_level: float,
    method: str,
    n_resamples: int,
    rng: RNGLike,
) -> CalibrationResult:
    tp, fn, fp, tn = (int(x) for x in cells)
    c = cells[None, :]
    boot_gen = as_rng(rng) if method == "bootstrap" else None
    units = count_units(cells) if method == "bootstrap" else None
    ests: dict[str, Any] = {}
    for name, (fn_, binom, (lo_r, hi_r), _desc) in _METRICS.items():
        with np.errstate(all="ignore"):
            stat = float(fn_(c)[0])
        if not math.isfinite(stat):
            warn_undefined(f"{name} is undefined for this confusion matrix "
                           f"(tp={tp}, fn={fn}, fp={fp}, tn={tn}); returning nan.", stacklevel=4)
            ests[name] = Estimate(statistic=math.nan,
                                  confidence_interval=ConfidenceInterval(math.nan, math.nan),
                                  confidence_level=confidence_level, method=method, name=name)
            continue
        if method == "bootstrap":
            assert units is not None and boot_gen is not None
            res = bootstrap_interval(fn_, units, n_resamples=n_resamples,
                                     confidence_level=confidence_level, method="bca",
                                     rng=boot_gen)
            lo, hi = res.confidence_interval
            se, m = res.standard_error, "bootstrap-bca"
        elif binom is not None:
            k = float(sum(cells[i] for i in binom[0]))
            nn = float(sum(cells[i] for i in binom[1]))
            lo_a, hi_a = proportion_interval(k, nn, confidence_level=confidence_level,
                                             method=method)  # type: ignore[arg-type]
            lo, hi = float(lo_a), float(hi_a)
            se, m = math.sqrt(stat * (1 - stat) / nn), method
        else:
            se = delta_se_multinomial(fn_, cells)
            z = z_value(confidence_level)
            lo, hi = max(lo_r, stat - z * se), min(hi_r, stat + z * se)
            m = "delta"
        ests[name] = Estimate(statistic=stat, confidence_interval=ConfidenceInterval(lo, hi),
                              standard_error=se, confidence_level=confidence_level, method=m,
                              name=name)
    labels = [str(positive), str(negative)]
    cm = pd.DataFrame(
        [[tp, fn], [fp, tn]],
        index=pd.Index(labels, name="human"),
        columns=pd.Index(labels, name="judge"),
    )
    return CalibrationResult(
        **ests, confusion_matrix=cm, n=tp + fn + fp + tn, n_positive=tp + fn,
        n_negative=fp + tn, tp=tp, fn=fn, fp=fp, tn=tn, positive=positive, negative=negative,
        confidence_level=confidence_level, method=method,
    )
