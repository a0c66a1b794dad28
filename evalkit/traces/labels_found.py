"""Labels that arrive inside trace files: find them, hide them from blind review, route them.

Teams often keep a verdict or a reviewer's notes in the trace file itself (a ``label`` or
``reasoning`` column, a ``Notes`` field). The loaders keep such values in ``metadata`` (nothing is
dropped), where a blind reviewer would see them before labeling. This module

* names what looks like a label: :data:`LABEL_LIKE_KEYS` and :func:`is_label_like` (the review
  widgets hide these metadata keys until the reviewer has labeled the trace);
* returns metadata without them (:func:`hide_label_like`);
* turns chosen keys into label events for the store (:func:`labels_in_traces`), so that the
  file's labels become labels (``store.record_many(events)``) instead of trace content.

``traces`` does not import the label store (data flows one way): the events are plain dicts.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import Any, Final

import pandas as pd

#: Metadata keys (compared case-insensitively, ignoring ``_``, ``-``, spaces and a ``human``/
#: ``expected``/``gold`` prefix) that hold a judgement about the trace, not the trace itself.
LABEL_LIKE_KEYS: Final[frozenset[str]] = frozenset(
    {
        "label",
        "labels",
        "verdict",
        "verdicts",
        "pass",
        "passed",
        "fail",
        "failed",
        "passfail",
        "outcome",
        "correct",
        "iscorrect",
        "accuracy",
        "score",
        "scores",
        "rating",
        "grade",
        "judgement",
        "judgment",
        "judge",
        "evaluation",
        "eval",
        "feedback",
        "reasoning",
        "rationale",
        "critique",
        "explanation",
        "note",
        "notes",
        "comment",
        "comments",
        "annotation",
        "annotations",
        "failuremode",
        "failuremodes",
        "errortype",
        "category",
        "reviewer",
        "reviewed",
        "opencode",
        "axialcode",
    }
)
_PREFIX = re.compile(r"^(?:human|expected|gold|manual|reviewer)(?=.)")


def _norm(key: str) -> str:
    k = re.sub(r"[\s_\-.]+", "", key.lower())
    return _PREFIX.sub("", k)


def is_label_like(key: Any) -> bool:
    """True if a metadata key looks like it holds a label, verdict, score or reviewer's note.

    Examples
    --------
    >>> [is_label_like(k) for k in ("label", "Notes", "human_verdict", "Failure Mode", "region")]
    [True, True, True, True, False]
    """
    return isinstance(key, str) and (
        _norm(key) in LABEL_LIKE_KEYS or key.lower() in LABEL_LIKE_KEYS
    )


def hide_label_like(metadata: Any) -> Any:
    """``metadata`` without its label-like keys (top level), for blind review.

    Examples
    --------
    >>> hide_label_like({"region": "eu", "label": "fail", "Notes": "wrong refund"})
    {'region': 'eu'}
    """
    if not isinstance(metadata, Mapping):
        return metadata
    return {k: v for k, v in metadata.items() if not is_label_like(k)}


def _missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def labels_in_traces(
    traces: pd.DataFrame,
    fields: Mapping[str, str],
    *,
    annotator: str = "trace-file",
    source: str = "import:trace-file",
) -> list[dict[str, Any]]:
    """Label events from metadata keys of loaded traces, ready for ``LabelStore.record_many``.

    Parameters
    ----------
    traces : pandas.DataFrame
        A canonical trace frame (``load_traces``).
    fields : mapping of str to str
        Metadata key -> label field, e.g. ``{"label": "verdict", "Notes": "note"}``. The target
        ``"note"`` is special: its value becomes the note of the trace's other labels (or a
        ``note`` field if the trace has no other label).
    annotator, source : str
        Recorded on every event.

    Returns
    -------
    list of dict
        One event per trace and field with a value: ``trace_id``, ``annotator``, ``field``,
        ``value``, ``note``, ``source``. Traces missing a key simply give no event for it.

    Raises
    ------
    ValueError
        If ``fields`` is empty, or names a key no trace has (probably a typo).

    Examples
    --------
    >>> import pandas as pd
    >>> meta = [{"label": "fail", "Notes": "wrong total"}, {"label": "pass"}]
    >>> df = pd.DataFrame({"trace_id": ["t1", "t2"], "metadata": meta})
    >>> [(e["trace_id"], e["field"], e["value"], e["note"])
    ...  for e in labels_in_traces(df, {"label": "verdict", "Notes": "note"})]
    [('t1', 'verdict', 'fail', 'wrong total'), ('t2', 'verdict', 'pass', None)]
    """
    if not fields:
        raise ValueError("`fields` must map at least one metadata key to a label field; got {}.")
    found: set[str] = set()
    events: list[dict[str, Any]] = []
    for tid, meta in zip(traces["trace_id"].tolist(), traces["metadata"].tolist(), strict=True):
        if not isinstance(meta, Mapping):
            continue
        note = None
        values = []
        for key, target in fields.items():
            if key in meta:
                found.add(key)
            value = meta.get(key)
            if _missing(value):
                continue
            if target == "note":
                note = str(value)
            else:
                values.append((target, value))
        if not values and note is not None:
            values, note = [("note", note)], None
        for target, value in values:
            events.append(
                {
                    "trace_id": tid,
                    "annotator": annotator,
                    "field": target,
                    "value": value,
                    "note": note,
                    "source": source,
                }
            )
    unknown = [k for k in fields if k not in found]
    if unknown and len(traces):
        raise ValueError(
            f"`fields` names metadata key(s) no trace has: {', '.join(map(repr, unknown))}."
        )
    return events
