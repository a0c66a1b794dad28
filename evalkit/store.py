"""``evalkit.store``: where the label store's public names were first imported from.

The store lives in :mod:`evalkit.labels`; this module re-exports its public names so that
``from evalkit.store import LabelStore, read_labels`` keeps working.
"""

from __future__ import annotations

from evalkit.labels import (
    SCHEMA_VERSION,
    FieldSpec,
    InvalidLabelError,
    LabelEvent,
    LabelStore,
    LabelStoreError,
    read_labels,
)

__all__ = [
    "SCHEMA_VERSION",
    "FieldSpec",
    "InvalidLabelError",
    "LabelEvent",
    "LabelStore",
    "LabelStoreError",
    "read_labels",
]
