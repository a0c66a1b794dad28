"""Statistics with confidence intervals: agreement (the human ceiling) and judge calibration.

Names are imported lazily from their modules.
"""

from __future__ import annotations

from typing import Any

from evalkit._lazy import attach

_LAZY: dict[str, str] = {
    "ConfidenceInterval": "evalkit.stats._common",
    "Estimate": "evalkit.stats._common",
    # named warnings and the typed input error
    "StatisticsInputError": "evalkit.stats._warnings",
    "StatisticsTypeError": "evalkit.stats._warnings",
    "EstimateOutOfRangeWarning": "evalkit.stats._warnings",
    "SmallSampleWarning": "evalkit.stats._warnings",
    "DegenerateDataWarning": "evalkit.stats._warnings",
    "LabelCodingWarning": "evalkit.stats._warnings",
    # binomial proportion intervals (vectorised)
    "wilson_interval": "evalkit.stats._proportions",
    "clopper_pearson_interval": "evalkit.stats._proportions",
    "jeffreys_interval": "evalkit.stats._proportions",
    "proportion_interval": "evalkit.stats._proportions",
    # unpaired difference of two proportions (Newcombe)
    "newcombe_difference_interval": "evalkit.stats._two_sample",
    "two_proportion_z_test": "evalkit.stats._two_sample",
    # agreement (evalkit.stats.agreement)
    "percent_agreement": "evalkit.stats.agreement",
    "cohen_kappa": "evalkit.stats.agreement",
    "fleiss_kappa": "evalkit.stats.agreement",
    "krippendorff_alpha": "evalkit.stats.agreement",
    "gwet_ac1": "evalkit.stats.agreement",
    "brennan_prediger": "evalkit.stats.agreement",
    "AgreementResult": "evalkit.stats.agreement",
    "CategoryCounts": "evalkit.stats.agreement",
    "to_wide": "evalkit.stats.agreement",
    "agreement_report": "evalkit.stats.agreement",
    "pairwise_agreement": "evalkit.stats.agreement",
    # calibration (evalkit.stats.calibration, evalkit.stats.ppi)
    "calibrate": "evalkit.stats.calibration",
    "CalibrationResult": "evalkit.stats.calibration",
    "corrected_pass_rate": "evalkit.stats.calibration",
    "plan_calibration": "evalkit.stats.calibration",
    "threshold_sweep": "evalkit.stats.calibration",
    "ordinal_agreement": "evalkit.stats.calibration",
    "check_gate": "evalkit.stats.calibration",
    "CorrectedPassRate": "evalkit.stats.calibration",
    "CalibrationPlan": "evalkit.stats.calibration",
    "GateResult": "evalkit.stats.calibration",
    "ThresholdSweep": "evalkit.stats.calibration",
    "OrdinalAgreement": "evalkit.stats.calibration",
    "ppi_mean": "evalkit.stats.ppi",
    "PPIResult": "evalkit.stats.ppi",
    # paired comparisons (two runs on the same cases)
    "paired_difference_interval": "evalkit.stats._paired",
    "paired_proportion_difference": "evalkit.stats._paired",
    "paired_bootstrap_interval": "evalkit.stats._paired",
    "paired_t_interval": "evalkit.stats._paired",
    "PairedDifference": "evalkit.stats._paired",
    "mcnemar_pvalue": "evalkit.stats._paired",
    "adjust_pvalues": "evalkit.stats._paired",
}

_getattr, __dir__, __all__ = attach(__name__, _LAZY)


def __getattr__(name: str) -> Any:
    return _getattr(name)
