"""The CI gate: turn a calibration into a pass/fail decision (``evalkit calibrate``).

Re-exported from :mod:`evalkit.stats.calibration`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import pandas as pd

from evalkit.stats._common import Estimate, check_choice
from evalkit.stats._confusion import CalibrationResult
from evalkit.stats._warnings import StatisticsInputError

GateBound = Literal["lower", "point"]


@dataclass(frozen=True, slots=True, kw_only=True)
class GateResult:
    """Outcome of :func:`check_gate`.

    Attributes
    ----------
    passed : bool
    checks : DataFrame
        One row per checked metric: metric, value (point or lower bound), minimum, passed.
    bound : str
    """

    passed: bool
    checks: pd.DataFrame
    bound: str

    def to_markdown(self, calibration: CalibrationResult) -> str:
        """A short markdown report (used for ``$GITHUB_STEP_SUMMARY``)."""
        head = ("✅ judge calibration gate passed" if self.passed
                else "❌ judge calibration gate failed")
        lvl = f"{calibration.confidence_level:.0%}"
        lines = [f"### {head}", "", f"n = {calibration.n} ({calibration.n_positive} human pass, "
                 f"{calibration.n_negative} human fail); gate on the **{self.bound}** "
                 f"{'bound of the ' + lvl + ' interval' if self.bound == 'lower' else 'estimate'}.",
                 "", "| metric | estimate | " + lvl + " CI | minimum | result |",
                 "|---|---|---|---|---|"]
        for _, r in self.checks.iterrows():
            e = getattr(calibration, r["metric"])
            lines.append(f"| {r['metric'].upper()} | {e.statistic:.3f} | "
                         f"{e.confidence_interval.low:.3f} to {e.confidence_interval.high:.3f} | "
                         f"{r['minimum']:.3f} | {'pass' if r['passed'] else 'FAIL'} |")
        return "\n".join(lines) + "\n"


def check_gate(
    calibration: CalibrationResult,
    *,
    min_tpr: float | None = 0.8,
    min_tnr: float | None = 0.8,
    bound: GateBound = "lower",
) -> GateResult:
    """Decide whether a judge is trustworthy enough for CI.

    Parameters
    ----------
    calibration : CalibrationResult
    min_tpr, min_tnr : float or None
        Minimum TPR / TNR (``None`` skips the check).
    bound : {'lower', 'point'}, default 'lower'
        Compare the interval's lower bound (conservative) or the point estimate.

    Returns
    -------
    GateResult
        ``passed`` is False when any check fails or a checked metric is undefined.

    Examples
    --------
    >>> import numpy as np
    >>> from evalkit.stats.calibration import calibrate
    >>> cal = calibrate(np.repeat(["pass", "fail"], 100),
    ...                 np.repeat(["pass", "fail", "pass", "fail"], [95, 5, 10, 90]))
    >>> check_gate(cal, min_tpr=0.8, min_tnr=0.8).passed
    True
    >>> check_gate(cal, min_tnr=0.9, bound="lower").passed  # TNR 0.90, lower bound 0.826
    False
    """
    check_choice("bound", bound, ("lower", "point"))
    rows = []
    for name, minimum in (("tpr", min_tpr), ("tnr", min_tnr)):
        if minimum is None:
            continue
        if not 0 <= float(minimum) <= 1:
            raise StatisticsInputError(f"`min_{name}` must be in [0, 1]; got {minimum!r}.")
        e: Estimate = getattr(calibration, name)
        value = e.confidence_interval.low if bound == "lower" else e.statistic
        ok = bool(math.isfinite(value) and value >= float(minimum))
        rows.append({"metric": name, "value": value, "minimum": float(minimum), "passed": ok})
    checks = pd.DataFrame(rows, columns=["metric", "value", "minimum", "passed"])
    return GateResult(passed=bool(checks["passed"].all()), checks=checks, bound=bound)
