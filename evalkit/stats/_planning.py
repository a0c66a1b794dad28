"""Label planning: how many more human labels of each class reach a target interval width.

Re-exported from :mod:`evalkit.stats.calibration`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from evalkit.labels.align import as_labels
from evalkit.stats._common import check_confidence_level, z_value
from evalkit.stats._confusion import CalibrationResult
from evalkit.stats._corrected import _pass_indicator
from evalkit.stats._rogan_gladen import lee_interval
from evalkit.stats._warnings import StatisticsInputError, StatisticsTypeError


@dataclass(frozen=True, slots=True, kw_only=True)
class CalibrationPlan:
    """How many more human labels reach a target width of the corrected pass rate's interval.

    Attributes
    ----------
    additional_pass, additional_fail : int
        More human-pass and human-fail cases to label (Lee et al. allocation).
    total_pass, total_fail : int
        Calibration sizes after labelling.
    current_width, projected_width, target_width : float
        Interval widths (``2 z se`` of Lee et al.) now, after labelling, and wanted.
    min_width : float
        Width with an infinite calibration set (only more unlabeled data narrows it further).
    achievable : bool
        Whether ``target_width`` can be reached by labelling. When the target is below
        ``min_width`` no labels are proposed; when the search cap is hit the counts are the cap.
    p, tpr, tnr : float
        Judge pass rate, TPR and TNR the projection assumes.
    n_unlabeled : int
    confidence_level : float
    """

    additional_pass: int
    additional_fail: int
    total_pass: int
    total_fail: int
    current_width: float
    projected_width: float
    target_width: float
    min_width: float
    achievable: bool
    p: float
    tpr: float
    tnr: float
    n_unlabeled: int
    confidence_level: float

    @property
    def additional(self) -> int:
        """Total additional labels."""
        return self.additional_pass + self.additional_fail

    def to_frame(self) -> pd.DataFrame:
        """One-row frame of the plan."""
        from dataclasses import asdict

        return pd.DataFrame([{**asdict(self), "additional": self.additional}])

    def _repr_html_(self) -> str:
        if self.additional == 0:
            msg = "the current calibration set already meets the target width."
        elif self.achievable:
            msg = (f"label <b>{self.additional_pass}</b> more human-pass and "
                   f"<b>{self.additional_fail}</b> more human-fail cases.")
        else:
            msg = (f"labelling alone cannot reach the target; the floor is "
                   f"{self.min_width:.3f} with this many unlabeled verdicts.")
        return (f"<div class='evalkit-plan'><b>Calibration plan</b>: target width "
                f"{self.target_width:.3f} (now {self.current_width:.3f}, projected "
                f"{self.projected_width:.3f}): {msg}</div>")


def _lee_width(p: float, tpr: float, tnr: float, n: int, m1: Any, m0: Any, cl: float) -> Any:
    _lo, _hi, se = lee_interval(p, tpr, tnr, n, m1, m0, confidence_level=cl)
    return 2 * z_value(cl) * se


def plan_calibration(
    calibration: CalibrationResult,
    judge_verdicts: Any,
    *,
    target_width: float = 0.10,
    confidence_level: float = 0.95,
    max_additional: int = 1_000_000,
) -> CalibrationPlan:
    r"""Plan more human labels so the corrected pass rate's interval reaches ``target_width``.

    Parameters
    ----------
    calibration : CalibrationResult
        The current calibration (its TPR/TNR are taken as the truth for the projection).
    judge_verdicts : array_like, Series or DataFrame
        The unlabeled verdicts the corrected rate is computed on (sets ``p`` and ``n``).
    target_width : float, default 0.10
        Wanted full width of the interval (high - low).
    confidence_level : float, default 0.95
    max_additional : int, default 1,000,000
        Search cap on additional labels.

    Returns
    -------
    CalibrationPlan

    Notes
    -----
    For each total calibration size ``M`` the budget is split as Lee et al. (2025) do,
    :math:`m_1 = M / (1 + (1/p - 1)\sqrt{\kappa})` with :math:`\kappa` the ratio of the
    judge's Laplace-smoothed error rates on human-fail and human-pass cases, never below the
    labels already collected; the plan is the smallest ``M`` whose projected width
    :math:`2 z\,se` (Lee et al.'s standard error) is at most the target.

    Examples
    --------
    >>> import numpy as np
    >>> from evalkit.stats.calibration import calibrate
    >>> cal = calibrate(np.repeat(["pass", "fail"], 50),
    ...                 np.repeat(["pass", "fail", "pass", "fail"], [45, 5, 15, 35]))
    >>> plan = plan_calibration(cal, np.repeat(["pass", "fail"], [4000, 6000]), target_width=0.1)
    >>> plan.achievable, plan.projected_width <= 0.1 < plan.current_width
    (True, True)
    """
    cl = check_confidence_level(confidence_level)
    if not (isinstance(target_width, (int, float)) and 0 < target_width < 2):
        raise StatisticsInputError(
            f"`target_width` must be a number in (0, 2); got {target_width!r}."
        )
    if not isinstance(calibration, CalibrationResult):
        raise StatisticsTypeError("`calibration` must be a CalibrationResult from `calibrate`; got "
                        f"{type(calibration).__name__}.")
    passed = _pass_indicator(as_labels(judge_verdicts, name="judge_verdicts"), calibration)
    n = int(passed.size)
    if n == 0:
        raise StatisticsInputError("`judge_verdicts` is empty.")
    p = float(passed.mean())
    q1, q0 = calibration.tpr.statistic, calibration.tnr.statistic
    m1c, m0c = calibration.n_positive, calibration.n_negative
    if not (math.isfinite(q1) and math.isfinite(q0)) or q1 + q0 <= 1:
        raise StatisticsInputError(
            "planning needs a judge better than chance with both classes labelled "
            f"(TPR={q1:.3g}, TNR={q0:.3g})."
        )
    cur = float(_lee_width(p, q1, q0, n, m1c, m0c, cl))
    floor = float(_lee_width(p, q1, q0, n, 1e12, 1e12, cl))
    kappa = ((calibration.fp + 1) / (m0c + 2)) / ((calibration.fn + 1) / (m1c + 2))
    base = m0c + m1c
    found: tuple[int, int, float] | None = None
    last = (m1c, m0c, cur)
    if cur <= target_width:
        found = (m1c, m0c, cur)
    elif floor >= target_width:  # labels alone cannot get there: only more unlabeled data can
        max_additional = 0
    start = 1
    while found is None and start <= max_additional:
        stop = min(max(start * 4, 4096), max_additional)
        add = np.arange(start, stop + 1)
        total = base + add
        m1 = total - m0c if p <= 1e-06 else np.rint(total / (1 + (1 / p - 1) * math.sqrt(kappa)))
        m1 = np.clip(m1, m1c, total - m0c)
        m0 = total - m1
        w = _lee_width(p, q1, q0, n, m1, m0, cl)
        ok = np.flatnonzero(w <= target_width)
        if ok.size:
            i = int(ok[0])
            found = (int(m1[i]), int(m0[i]), float(w[i]))
        else:
            last = (int(m1[-1]), int(m0[-1]), float(w[-1]))
        start = stop + 1
    achievable = found is not None
    if found is None:
        found = last
    m1f, m0f, wf = found
    return CalibrationPlan(
        additional_pass=m1f - m1c, additional_fail=m0f - m0c, total_pass=m1f, total_fail=m0f,
        current_width=cur, projected_width=wf, target_width=float(target_width),
        min_width=floor, achievable=achievable, p=p, tpr=q1, tnr=q0, n_unlabeled=n,
        confidence_level=cl,
    )
