"""The taxonomy stage: from open notes and codes to named, versioned, ranked failure modes.

``Taxonomy`` is an immutable, versioned set of failure modes with a code -> mode map and a
changelog; it round-trips through YAML and JSON and is stored in the label store. The analysis
functions turn labels into failure rates with intervals (overall, per segment, design-weighted),
Pareto rankings, saturation curves and state-transition matrices.
"""

from __future__ import annotations

from typing import Any

from evalkit._lazy import attach

_LAZY: dict[str, str] = {
    "Taxonomy": "evalkit.taxonomy._model",
    "Mode": "evalkit.taxonomy._parts",
    "Change": "evalkit.taxonomy._parts",
    "TaxonomyError": "evalkit.taxonomy._errors",
    "UnknownModeError": "evalkit.taxonomy._errors",
    "DuplicateModeError": "evalkit.taxonomy._errors",
    "SelfMergeError": "evalkit.taxonomy._errors",
    "ParentCycleError": "evalkit.taxonomy._errors",
    "TaxonomyFileError": "evalkit.taxonomy._errors",
    "TaxonomyVersionError": "evalkit.taxonomy._errors",
    "UnknownTaxonomyVersionError": "evalkit.taxonomy._errors",
    "to_yaml": "evalkit.taxonomy._io",
    "to_json": "evalkit.taxonomy._io",
    "from_yaml": "evalkit.taxonomy._io",
    "from_json": "evalkit.taxonomy._io",
    "label_table": "evalkit.taxonomy._labels",
    "save_taxonomy": "evalkit.taxonomy._store",
    "load_taxonomy": "evalkit.taxonomy._store",
    "taxonomy_history": "evalkit.taxonomy._store",
    "record_modes": "evalkit.taxonomy._store",
    "relabel_queue": "evalkit.taxonomy._store",
    "failure_rates": "evalkit.taxonomy._rates",
    "FailureRates": "evalkit.taxonomy._rates",
    "rank_failures": "evalkit.taxonomy._rank",
    "FailureRanking": "evalkit.taxonomy._rank",
    "saturation": "evalkit.taxonomy._rank",
    "Saturation": "evalkit.taxonomy._rank",
    "failure_transitions": "evalkit.taxonomy._transitions",
    "FailureTransitions": "evalkit.taxonomy._transitions",
    "suggest_modes": "evalkit.taxonomy._suggest",
    "Suggestions": "evalkit.taxonomy._suggest",
    "Candidate": "evalkit.taxonomy._suggest",
    "wilson_interval": "evalkit.stats._proportions",
    "weighted_proportion_interval": "evalkit.taxonomy._intervals",
    "weighted_rate_sums": "evalkit.taxonomy._intervals",
}

_getattr, __dir__, __all__ = attach(__name__, _LAZY)


def __getattr__(name: str) -> Any:
    return _getattr(name)
