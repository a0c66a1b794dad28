"""The Annotator's reference-answer field: save a high or borderline reference for a trace.

Each quality is its own text field in the label store (``reference_high``,
``reference_borderline``; :data:`evalkit.golden._schema.REFERENCE_FIELDS`), registered on first
use, so every annotator keeps at most one reference of each quality per trace (the latest), and
:func:`evalkit.export_golden` reads them back with the annotator as the author. Saving an empty
text clears that reference.

Examples
--------
>>> import tempfile, os
>>> from evalkit.traces.schema import to_canonical
>>> from evalkit.widgets import Annotator
>>> traces = to_canonical([{"trace_id": "t0", "input": "refund?"}])
>>> ann = Annotator(traces, os.path.join(tempfile.mkdtemp(), "l.sqlite"), annotator="bo")
>>> _ = ann.set_reference("Refunds within 30 days.", quality="borderline")
>>> ann.store.labels()[["field", "value"]].values.tolist()
[['reference_borderline', 'Refunds within 30 days.']]
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Final, Literal

from evalkit.golden._schema import REFERENCE_FIELDS
from evalkit.widgets._annotator_args import _check_choice

if TYPE_CHECKING:
    from evalkit.labels import LabelEvent
    from evalkit.widgets.annotator import Annotator

Quality = Literal["high", "borderline"]
#: quality -> label-store field
FIELD_OF: Final[dict[str, str]] = {q: f for f, q in REFERENCE_FIELDS.items()}


def save_reference(
    ann: Annotator, text: str, *, quality: str, trace_id: str | None
) -> LabelEvent | None:
    """Record ``text`` as this annotator's ``quality`` reference; ``None`` when unchanged."""
    if not isinstance(text, str):
        raise TypeError(f"`text` must be a string; got {type(text).__name__}.")
    _check_choice("quality", quality, tuple(FIELD_OF))
    if "reference" not in ann.fields:
        raise ValueError(
            f"this Annotator does not collect references: `fields` is {ann.fields!r}; "
            "add 'reference'."
        )
    tid = ann._target(trace_id)
    field = FIELD_OF[quality]
    if text.strip() == (ann._own_state(tid).get(field) or "").strip():
        return None
    if field not in ann.store.fields:
        ann.store.register_field(field, kind="text")  # idempotent; first reference in this store
    return ann._record(tid, field, text.strip())


def reference_state(own: dict[str, object]) -> dict[str, str]:
    """The saved references of the trace on display, for the front end."""
    return {f: str(own.get(f) or "") for f in REFERENCE_FIELDS}
