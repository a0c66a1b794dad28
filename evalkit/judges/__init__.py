"""Judge discipline: rubrics, judge runs, calibration splits, records, ensembles, bias audits.

``Rubric`` and ``run_judges`` produce verdicts (cached, concurrent, cost-tracked), and
``ensemble_rubric`` / ``run_pairwise`` combine them. Human and judge label files are read with
:func:`evalkit.labels.read_labels`.
"""

from __future__ import annotations

from evalkit.judges._bias import BiasAudit, length_bias, position_bias, self_preference
from evalkit.judges._cache import JudgeCache
from evalkit.judges._clients import (
    DEFAULT_PRICES,
    Completion,
    Judge,
    JudgeClient,
    litellm_judge,
    openai_judge,
)
from evalkit.judges._ensemble import EnsembleResult, ensemble_judges
from evalkit.judges._ensemble_run import RubricEnsemble, ensemble_rubric
from evalkit.judges._pairwise import PairwiseResult, run_pairwise
from evalkit.judges._parse import Answer, parse_answer
from evalkit.judges._record import (
    JudgeRecord,
    JudgeRecordError,
    RecordCheck,
    TestSetReuseWarning,
    dataset_hash,
    hash_text,
    load_record,
    record_calibration,
    verify_record,
)
from evalkit.judges._run_errors import (
    JudgeCacheError,
    JudgeConfigError,
    JudgeOutputError,
    PriceMissingError,
    RubricError,
)
from evalkit.judges._runner import run_judges
from evalkit.judges._split import CalibrationSplit, split_for_calibration
from evalkit.judges._verdict_frame import JudgeRunSummary, summarize_run
from evalkit.judges.rubric import Rubric, example_rubrics, load_example_rubric

__all__ = [
    "DEFAULT_PRICES",
    "Answer",
    "BiasAudit",
    "CalibrationSplit",
    "Completion",
    "EnsembleResult",
    "Judge",
    "JudgeCache",
    "JudgeCacheError",
    "JudgeClient",
    "JudgeConfigError",
    "JudgeOutputError",
    "JudgeRecord",
    "JudgeRecordError",
    "JudgeRunSummary",
    "PairwiseResult",
    "PriceMissingError",
    "RecordCheck",
    "Rubric",
    "RubricEnsemble",
    "RubricError",
    "TestSetReuseWarning",
    "dataset_hash",
    "ensemble_judges",
    "ensemble_rubric",
    "example_rubrics",
    "hash_text",
    "length_bias",
    "litellm_judge",
    "load_example_rubric",
    "load_record",
    "openai_judge",
    "parse_answer",
    "position_bias",
    "record_calibration",
    "run_judges",
    "run_pairwise",
    "self_preference",
    "split_for_calibration",
    "summarize_run",
    "verify_record",
]
