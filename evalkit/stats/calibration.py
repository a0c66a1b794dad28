"""Judge-versus-human calibration, the corrected pass rate, and label planning.

* :func:`calibrate` measures a binary LLM judge against human labels: confusion matrix, TPR,
  TNR, precision, NPV, accuracy, balanced accuracy, F1, Cohen's kappa and prevalence, each with a
  confidence interval, overall and per segment.
* :func:`corrected_pass_rate` corrects the judge's pass rate on unlabeled traffic for its
  errors (Rogan-Gladen), with an interval that carries both the unlabeled and the calibration
  uncertainty (Lee et al. 2025, or a two-sample bootstrap).
* :func:`plan_calibration` says how many more human labels of each class reach a target width.
* :func:`check_gate` turns a calibration into a CI decision (``evalkit calibrate``).

Score judges (a 1-5 rubric, a probability) are handled by :func:`threshold_sweep` and
:func:`ordinal_agreement`, re-exported here from :mod:`evalkit.stats._threshold`.

The work lives in private modules, one job each: :mod:`~evalkit.stats._confusion` (metrics and
the result), :mod:`~evalkit.stats._calibrate`, :mod:`~evalkit.stats._corrected`,
:mod:`~evalkit.stats._planning` and :mod:`~evalkit.stats._gate`; this module is where users
import them from.
"""

from __future__ import annotations

from evalkit.stats._calibrate import calibrate
from evalkit.stats._confusion import METRIC_NAMES as METRIC_NAMES
from evalkit.stats._confusion import CalibrationMethod as CalibrationMethod
from evalkit.stats._confusion import CalibrationResult
from evalkit.stats._corrected import CorrectedPassRate, corrected_pass_rate
from evalkit.stats._corrected import CorrectionMethod as CorrectionMethod
from evalkit.stats._gate import GateBound as GateBound
from evalkit.stats._gate import GateResult, check_gate
from evalkit.stats._planning import CalibrationPlan, plan_calibration
from evalkit.stats._rogan_gladen import lee_allocation
from evalkit.stats._threshold import (
    OrdinalAgreement,
    ThresholdSweep,
    ordinal_agreement,
    threshold_sweep,
)

__all__ = [
    "CalibrationPlan",
    "CalibrationResult",
    "CorrectedPassRate",
    "GateResult",
    "OrdinalAgreement",
    "ThresholdSweep",
    "calibrate",
    "check_gate",
    "corrected_pass_rate",
    "ordinal_agreement",
    "plan_calibration",
    "threshold_sweep",
]

allocate_calibration_sample = lee_allocation
