"""Measuring a binary judge against human labels (:func:`calibrate`): align, check, count cells.

Re-exported from :mod:`evalkit.stats.calibration`.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from evalkit.labels.align import LabelAlignmentError, align_labels
from evalkit.labels.verdicts import is_vocabulary, normalize_verdict, normalize_verdicts
from evalkit.stats._common import (
    RNGLike,
    as_rng,
    check_choice,
    check_confidence_level,
    check_n_resamples,
)
from evalkit.stats._confusion import (
    CALIBRATION_METHODS,
    CalibrationMethod,
    CalibrationResult,
    FloatArray,
    _result_from_cells,
)
from evalkit.stats._warnings import StatisticsInputError, StatisticsTypeError, plain_id


def _binary_labels(values: pd.Series, positive: Any) -> tuple[Any, Any]:
    """Return (positive, negative) verdict values, validating that verdicts are binary."""
    uniq = list(pd.unique(values))
    if any(isinstance(u, str) for u in uniq) and is_vocabulary([*uniq, positive]):
        # the one verdict vocabulary (evalkit.labels.verdicts): 'PASS', 'pass ', 'true' -> pass
        pos = normalize_verdict(positive)
        return pos, "fail" if pos == "pass" else "pass"
    if positive not in uniq and positive == "pass" and set(uniq) <= {0, 1}:
        positive = 1  # 0/1 or boolean verdicts: 1/True is pass
    others = [u for u in uniq if u != positive]
    if len(others) > 1:
        shown = ", ".join(repr(u) for u in uniq[:8])
        raise StatisticsInputError(
            f"verdicts must be binary with `positive`={positive!r} as pass; got values {shown}. "
            "Pass `positive=` naming the value that means pass (verdicts such as PASS/fail, "
            "true/false, yes/no, 1/0 are read in any case); for a rubric or a continuous score "
            "pass `threshold=` or use `threshold_sweep`."
        )
    negative = others[0] if others else ("fail" if positive == "pass" else f"not {positive}")
    return positive, negative


def _segments_of(
    by: Any, human: Any, judge: Any, index: pd.Index, *, where: str = "`human` or `judge`"
) -> pd.Series:
    if isinstance(by, str):
        for frame in (human, judge):
            if isinstance(frame, pd.DataFrame) and by in frame.columns:
                s = frame.set_index("trace_id")[by] if "trace_id" in frame.columns else frame[by]
                s = s[~s.index.duplicated()]
                break
        else:
            raise StatisticsInputError(f"`by` column {by!r} is not in {where}.")
    elif isinstance(by, pd.Series):
        s = by
    elif isinstance(by, (list, tuple, np.ndarray)) and len(by) == len(index):
        s = pd.Series(list(by), index=index)  # positional segments for positional inputs
    else:
        raise StatisticsTypeError("`by` must be a column name, a Series indexed by trace id, or a "
                        f"sequence as long as the verdicts; got {type(by).__name__}.")
    missing = index.difference(s.index, sort=False)
    if len(missing):
        raise LabelAlignmentError(
            f"{len(missing)} trace ids have no `by` segment (e.g. {missing[:3].tolist()})."
        )
    return s.reindex(index).astype(str)


def calibrate(
    human: Any,
    judge: Any,
    *,
    positive: Any = "pass",
    confidence_level: float = 0.95,
    method: CalibrationMethod = "wilson",
    by: str | pd.Series | None = None,
    threshold: float | None = None,
    strict: bool = False,
    n_resamples: int = 2000,
    rng: RNGLike = None,
) -> CalibrationResult:
    r"""Measure a binary judge against human labels.

    Parameters
    ----------
    human, judge : Series, DataFrame or array_like
        Verdicts. Series are aligned on their index, DataFrames on a ``trace_id`` column (using
        their ``verdict`` column, or ``score`` for the judge when ``threshold`` is given); plain
        arrays are aligned by position. Every human-labelled id needs a judge verdict; extra
        judge ids are ignored unless ``strict=True``.
    positive : object, default 'pass'
        The verdict that means pass (0/1 or boolean verdicts use 1/True).
    confidence_level : float, default 0.95
    method : {'wilson', 'clopper-pearson', 'jeffreys', 'bootstrap'}, default 'wilson'
        Interval for the proportions (TPR, TNR, precision, NPV, accuracy, prevalence). Balanced
        accuracy, F1 and kappa use the delta method under the multinomial model, unless
        ``'bootstrap'`` (BCa over the cases, all metrics).
    by : str, Series or sequence, optional
        Segment column (in ``human`` or ``judge``), a Series of segments by trace id, or (for
        positional inputs) a sequence of segments: adds
        per-segment results (``.segments``; ``to_frame()`` gives one tidy frame).
    threshold : float, optional
        For a score judge: the judge passes when ``score >= threshold``.
    strict : bool, default False
        Require the judge ids to equal the human ids.
    n_resamples : int, default 2000
        Bootstrap resamples (``method='bootstrap'`` only).
    rng : Generator, int or None
        Seeds the bootstrap.

    Returns
    -------
    CalibrationResult
        ``tpr``, ``tnr``, ``precision``, ``npv``, ``accuracy``, ``balanced_accuracy``, ``f1``,
        ``kappa``, ``prevalence`` (each an :class:`Estimate`), ``confusion_matrix``, ``n``,
        ``segments``; ``to_frame()`` and ``_repr_html_``.

    Raises
    ------
    LabelAlignmentError
        Missing, duplicated or mismatched trace ids, or missing verdicts.
    StatisticsInputError
        ``threshold`` that is not a finite number (``nan``, ``inf``).
    ValueError
        Bad ``method``/``confidence_level``, or verdicts that are not binary.

    Notes
    -----
    With ``tp, fn, fp, tn`` the confusion cells (human x judge):

    .. math:: TPR = \frac{tp}{tp+fn},\ TNR = \frac{tn}{tn+fp},\
              \kappa = \frac{p_o - p_e}{1 - p_e}

    A metric whose denominator is zero (TPR without human-pass cases, precision when the judge
    never passes, kappa when both raters use one verdict) is ``nan`` with an
    :class:`~evalkit.errors.UndefinedStatisticWarning`.

    Examples
    --------
    >>> import pandas as pd
    >>> human = pd.Series(["pass"] * 6 + ["fail"] * 4)
    >>> judge = pd.Series(["pass"] * 5 + ["fail"] + ["pass", "fail", "fail", "fail"])
    >>> res = calibrate(human, judge)
    >>> round(res.tpr.statistic, 4), round(res.tnr.statistic, 4)  # 5/6, 3/4
    (0.8333, 0.75)
    >>> res.confusion_matrix
    judge  pass  fail
    human
    pass      5     1
    fail      1     3
    """
    cl = check_confidence_level(confidence_level)
    check_choice("method", method, CALIBRATION_METHODS)
    if method == "bootstrap":
        check_n_resamples(n_resamples)
    if threshold is not None:
        try:
            thr = float(threshold)
        except (TypeError, ValueError):
            raise StatisticsInputError(
                f"`threshold` must be a finite number; got {threshold!r}.") from None
        if not np.isfinite(thr):
            raise StatisticsInputError(
                f"`threshold` must be a finite number; got {threshold!r} (every score would "
                "fall on one side of it).")
    col = "score" if threshold is not None else "verdict"
    if threshold is not None and isinstance(judge, pd.DataFrame) and "score" not in judge:
        col = "verdict"
    aligned = align_labels(human, judge, strict=strict, judge_column=col)
    if threshold is not None:
        scores = pd.to_numeric(aligned["judge"], errors="coerce")
        if scores.isna().any():
            bad = aligned["judge"][scores.isna()]
            raise StatisticsInputError(
                "`threshold` needs numeric judge scores; got "
                f"{bad.iloc[0]!r} for trace {plain_id(bad.index[0])!r}.")
        pos_h, neg_h = _binary_labels(aligned["human"], positive)
        # a list, not np.where: labels of mixed types (1 and 'pass') have no common numpy dtype
        aligned["judge"] = [pos_h if hit else neg_h for hit in scores >= float(threshold)]
    pos, neg = _binary_labels(pd.concat([aligned["human"], aligned["judge"]]), positive)
    if pos in ("pass", "fail") and is_vocabulary([positive]):
        # one vocabulary (evalkit.labels.verdicts): 'PASS', 'pass ', True and 1 are all 'pass'
        for col in ("human", "judge"):
            aligned[col] = normalize_verdicts(aligned[col])
    hp = (aligned["human"] == pos).to_numpy()
    jp = (aligned["judge"] == pos).to_numpy()
    gen = as_rng(rng) if method == "bootstrap" else None

    def cells_of(mask: NDArray[np.bool_]) -> FloatArray:
        h, j = hp[mask], jp[mask]
        return np.array([np.sum(h & j), np.sum(h & ~j), np.sum(~h & j), np.sum(~h & ~j)],
                        dtype=np.float64)

    kw = {"positive": pos, "negative": neg, "confidence_level": cl, "method": method,
              "n_resamples": n_resamples}
    overall = _result_from_cells(cells_of(np.ones(len(hp), bool)), rng=gen, **kw)
    if by is None:
        return overall
    seg = _segments_of(by, human, judge, aligned.index).to_numpy()
    by_name = by if isinstance(by, str) else str(getattr(by, "name", None) or "segment")
    segs = {str(s): _result_from_cells(cells_of(seg == s), rng=gen, **kw)
            for s in sorted(pd.unique(seg))}
    return replace(overall, by=by_name, segments=segs)
