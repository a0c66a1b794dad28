"""Judge discipline: calibration splits, calibrated-judge records, ensembles, bias audits.

Human and judge label files are read with :func:`evalkit.labels.read_labels`.
"""

from __future__ import annotations

from evalkit.judges._bias import BiasAudit, length_bias, position_bias, self_preference
from evalkit.judges._ensemble import EnsembleResult, ensemble_judges
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
from evalkit.judges._split import CalibrationSplit, split_for_calibration

__all__ = [
    "BiasAudit",
    "CalibrationSplit",
    "EnsembleResult",
    "JudgeRecord",
    "JudgeRecordError",
    "RecordCheck",
    "TestSetReuseWarning",
    "dataset_hash",
    "ensemble_judges",
    "hash_text",
    "length_bias",
    "load_record",
    "position_bias",
    "record_calibration",
    "self_preference",
    "split_for_calibration",
    "verify_record",
]
