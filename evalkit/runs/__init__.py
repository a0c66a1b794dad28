"""Runs: compare two runs per segment with paired intervals, gate a release, follow drift.

Names are imported lazily from their modules.
"""

from __future__ import annotations

from typing import Any

from evalkit._lazy import attach

_LAZY: dict[str, str] = {
    "compare_runs": "evalkit.runs._compare",
    "RunComparison": "evalkit.runs._result",
    "read_run": "evalkit.runs._runfile",
    "read_cases": "evalkit.runs._runfile",
    # typed errors (shared by every module of the stage)
    "RunsError": "evalkit.runs._errors",
    "RunFileError": "evalkit.runs._errors",
    "RunInputError": "evalkit.runs._errors",
    "UnmatchedCasesError": "evalkit.runs._errors",
    "DuplicateCaseError": "evalkit.runs._errors",
    "VerdictMismatchError": "evalkit.runs._errors",
    "MixedOutcomeError": "evalkit.runs._errors",
    "EmptySegmentError": "evalkit.runs._errors",
    "HistoryError": "evalkit.runs._errors",
    "HistoryVersionError": "evalkit.runs._errors",
    # history, drift, contamination gap, online signals, cost per success (i14b)
    "RunHistory": "evalkit.runs._history",
    "DriftResult": "evalkit.runs._drift",
    "contamination_gap": "evalkit.runs._contamination",
    "ContaminationGap": "evalkit.runs._contamination",
    "online_signals": "evalkit.runs._online",
    "OnlineSignals": "evalkit.runs._online",
    "compare_online": "evalkit.runs._online_compare",
    "OnlineComparison": "evalkit.runs._online_compare",
    "cost_per_success": "evalkit.runs._cost",
    "CostPerSuccess": "evalkit.runs._cost",
    "compare_cost_per_success": "evalkit.runs._cost",
    "CostComparison": "evalkit.runs._cost",
}

_getattr, __dir__, __all__ = attach(__name__, _LAZY)


def __getattr__(name: str) -> Any:
    return _getattr(name)
