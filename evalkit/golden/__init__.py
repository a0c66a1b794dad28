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
from evalkit.golden._interop import features, to_dataset, to_parquet, to_traces
from evalkit.golden._load import load_golden, verify_golden
from evalkit.golden._redact import Redactor, find_entities, redact
from evalkit.golden._refs import (
    ReferenceScore,
    exact,
    normalized_exact,
    score_against_references,
    token_f1,
)
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
    "ReferenceScore",
    "exact",
    "export_golden",
    "features",
    "find_entities",
    "holdout_status",
    "load_golden",
    "normalized_exact",
    "redact",
    "rotate",
    "score_against_references",
    "to_dataset",
    "to_parquet",
    "to_traces",
    "token_f1",
    "verify_golden",
]
