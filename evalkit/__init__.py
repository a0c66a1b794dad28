"""evalkit: Jupyter-first error analysis for LLM applications.

Load real traces into one canonical frame, review them by hand, name the failure modes, measure
human agreement, calibrate the LLM judge against humans, and export a golden set.

The public API is imported lazily, so ``import evalkit`` stays fast.
"""

from __future__ import annotations

from typing import Any

from evalkit._lazy import attach

__version__ = "0.1.0"

# public name -> module that defines it
_LAZY: dict[str, str] = {
    # errors
    "EvalkitError": "evalkit.errors",
    "TraceFormatError": "evalkit.errors",
    "TraceError": "evalkit.errors",
    "UndefinedStatisticWarning": "evalkit.errors",
    # traces
    "load_traces": "evalkit.traces",
    "save_traces": "evalkit.traces",
    "scan_traces": "evalkit.traces._scan",
    "CANONICAL_COLUMNS": "evalkit.traces.schema",
    # sampling
    "sample": "evalkit.sampling",
    # review
    "LabelStore": "evalkit.labels",
    "LabelStoreError": "evalkit.labels",
    "LabelEvent": "evalkit.labels",
    "LabelFileError": "evalkit.labels",
    "read_labels": "evalkit.labels",
    "TraceView": "evalkit.widgets.trace_view",
    "Annotator": "evalkit.widgets.annotator",
    # taxonomy
    "Taxonomy": "evalkit.taxonomy",
    "TaxonomyBuilder": "evalkit.widgets.taxonomy_builder",
    "failure_rates": "evalkit.taxonomy",
    "rank_failures": "evalkit.taxonomy",
    "saturation": "evalkit.taxonomy",
    "failure_transitions": "evalkit.taxonomy",
    "wilson_interval": "evalkit.stats",
    "weighted_proportion_interval": "evalkit.taxonomy",
    # calibration
    "calibrate": "evalkit.stats.calibration",
    "CalibrationResult": "evalkit.stats.calibration",
    "corrected_pass_rate": "evalkit.stats.calibration",
    "plan_calibration": "evalkit.stats.calibration",
    "ppi_mean": "evalkit.stats.ppi",
    "split_for_calibration": "evalkit.judges",
    # code-based checks
    "check": "evalkit.checks._core",
    "run_checks": "evalkit.checks._run",
    # judge runs
    "Rubric": "evalkit.judges",
    "run_judges": "evalkit.judges",
    # golden sets
    "export_golden": "evalkit.golden",
    "load_golden": "evalkit.golden",
    "redact": "evalkit.golden",
    "score_against_references": "evalkit.golden",
    # runs: history, drift, contamination, online signals, cost (issue 14)
    "RunHistory": "evalkit.runs",
    "contamination_gap": "evalkit.runs",
    "online_signals": "evalkit.runs",
    "compare_online": "evalkit.runs",
    "cost_per_success": "evalkit.runs",
    "compare_cost_per_success": "evalkit.runs",
    # runs
    "compare_runs": "evalkit.runs._compare",
    "RunComparison": "evalkit.runs._result",
    "RunsError": "evalkit.runs._errors",
}
_SUBMODULES = {
    "stats", "traces", "labels", "taxonomy", "plots", "sample_data", "judges", "widgets", "checks",
    "golden", "runs",
}

_getattr, __dir__, __all__ = attach(__name__, _LAZY, submodules=_SUBMODULES, extra=["__version__"])


def __getattr__(name: str) -> Any:
    return _getattr(name)
