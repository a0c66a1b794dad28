"""The labels stage: the durable label store and every label file the project reads.

``LabelStore`` keeps review labels as append-only events in one SQLite file (schema, connection,
field definitions and exports live in private modules beside it). ``read_labels`` is the one
reader of label files: simple ``trace_id, verdict`` tables, long human or judge files, and store
exports. ``align_labels`` lines two verdict sets up by trace id.
"""

from __future__ import annotations

from evalkit.labels._events import LabelEvent
from evalkit.labels._extension import AppendOnlyTable
from evalkit.labels._fields import FieldSpec, InvalidLabelError
from evalkit.labels._schema import SCHEMA_VERSION, LabelStoreError
from evalkit.labels.align import LabelAlignmentError, align_labels, as_labels
from evalkit.labels.files import LabelFile, LabelFileError, majority_verdicts, read_labels
from evalkit.labels.store import LabelStore

# Public home of the names defined in private modules (tracebacks, docs, pickling).
for _cls in (LabelStoreError, InvalidLabelError, FieldSpec, LabelEvent, AppendOnlyTable):
    _cls.__module__ = __name__

__all__ = [
    "SCHEMA_VERSION",
    "AppendOnlyTable",
    "FieldSpec",
    "InvalidLabelError",
    "LabelAlignmentError",
    "LabelEvent",
    "LabelFile",
    "LabelFileError",
    "LabelStore",
    "LabelStoreError",
    "align_labels",
    "as_labels",
    "majority_verdicts",
    "read_labels",
]
