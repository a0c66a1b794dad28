"""The golden stage: export labelled cases to a versioned folder with a sealed, rotated holdout.

``export_golden`` writes ``cases.jsonl`` / ``schema.json`` / ``manifest.json`` atomically;
``load_golden`` reads the active split (the holdout only with ``unseal=``, logged);
``rotate`` and ``holdout_status`` manage the holdout; ``redact`` removes PII;
``score_against_references`` scores outputs against high and borderline references;
``to_dataset`` / ``to_parquet`` / ``to_traces`` hand the set to other tools.
"""

from __future__ import annotations

from evalkit.golden._errors import (
    CaseIdCollisionError,
    GoldenError,
    GoldenManifestError,
    GoldenSchemaError,
    GoldenTamperError,
    GoldenTargetError,
    HoldoutAgeWarning,
    HoldoutSealedError,
)
from evalkit.golden._export import export_golden
from evalkit.golden._load import load_golden, verify_golden
from evalkit.golden._redact import Redactor, find_entities, redact
from evalkit.golden._rotate import HoldoutStatus, holdout_status, rotate
from evalkit.golden._schema import CASE_SCHEMA, SCHEMA_VERSION

__all__ = [
    "CASE_SCHEMA",
    "SCHEMA_VERSION",
    "CaseIdCollisionError",
    "GoldenError",
    "GoldenManifestError",
    "GoldenSchemaError",
    "GoldenTamperError",
    "GoldenTargetError",
    "HoldoutAgeWarning",
    "HoldoutSealedError",
    "HoldoutStatus",
    "Redactor",
    "export_golden",
    "find_entities",
    "holdout_status",
    "load_golden",
    "redact",
    "rotate",
    "verify_golden",
]
