"""From a trace's ordered steps (spans with a status) to its (last successful, first failing) pair.

Used by :func:`evalkit.taxonomy.failure_transitions` with ``steps=``. The steps are the
``metadata["spans"]`` list the span-based readers fill (see :mod:`evalkit.traces.schema`) or any
list of ``{name, status}`` dicts in pipeline order. A parent span usually fails *because* a child
failed (the exception travels up), so the failing step is where the error started: the first
failing step, in list order, none of whose descendants failed. The last successful step is the
step that finished just before it on the same level: its previous sibling, else the previous
sibling of its parent, and so on up; ``"(start)"`` when nothing ran before it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import pandas as pd

from evalkit.taxonomy._errors import TaxonomyError

START = "(start)"
#: Statuses that count as success (case-insensitive); ``None`` counts as success too.
OK_STATUSES = frozenset({"ok", "success", "unset", "pass", "true", "1"})
_STATE_KEYS = ("name", "kind")
#: Readers that fill ``metadata["spans"]`` (for error messages).
SPAN_READERS = "otel_genai, openinference (OTLP and Phoenix), langfuse, langsmith, inspect"

StateOf = Callable[[Mapping[str, Any]], Any]


def _failed(step: Mapping[str, Any]) -> bool:
    status = step.get("status")
    if status is None:
        return False
    return str(status).strip().lower() not in OK_STATUSES


def _as_steps(value: Any, tid: Any) -> list[Mapping[str, Any]] | None:
    if value is None or (isinstance(value, float) and value != value):
        return None
    if isinstance(value, str):  # a JSON text column (a CSV or a saved frame)
        try:
            value = json.loads(value)
        except ValueError:
            raise TaxonomyError(
                f"trace {tid!r}: steps must be a list of dicts (or its JSON text); "
                f"got text that is not JSON: {value[:80]!r}."
            ) from None
    if hasattr(value, "tolist") and not isinstance(value, (list, dict)):
        value = value.tolist()
    if not isinstance(value, (list, tuple)):
        raise TaxonomyError(
            f"trace {tid!r}: steps must be a list of dicts; got {type(value).__name__}."
        )
    for i, step in enumerate(value):
        if not isinstance(step, Mapping) or "name" not in step:
            raise TaxonomyError(
                f"trace {tid!r}: step {i} must be a dict with 'name' and 'status'; got {step!r}."
            )
    return list(value)


def state_function(state: str | StateOf) -> StateOf:
    """The function naming a step's state: ``"name"``, ``"kind"`` (else name) or a callable."""
    if callable(state):
        return state
    if state == "name":
        return lambda s: s.get("name")
    if state == "kind":
        return lambda s: s.get("kind") if s.get("kind") is not None else s.get("name")
    raise TaxonomyError(
        f"`state` must be one of {', '.join(map(repr, _STATE_KEYS))} or a callable; got {state!r}."
    )


def _label(state_of: StateOf, step: Mapping[str, Any], tid: Any, i: int) -> str:
    value = state_of(step)
    if value is None or value == "":
        return "(unnamed)"
    if not isinstance(value, str):
        raise TaxonomyError(
            f"trace {tid!r}: the state of step {i} must be text; got {value!r} (from `state`)."
        )
    return value


def transition_of(steps: Any, tid: Any, state_of: StateOf) -> tuple[str, str] | None:
    """``(last_ok, first_fail)`` of one trace's steps, or ``None`` if no step failed.

    Examples
    --------
    >>> spans = [{"span_id": "r", "parent_id": None, "name": "agent", "status": "error"},
    ...          {"span_id": "a", "parent_id": "r", "name": "plan", "status": "ok"},
    ...          {"span_id": "b", "parent_id": "a", "name": "llm", "status": "ok"},
    ...          {"span_id": "c", "parent_id": "r", "name": "search", "status": "error"}]
    >>> transition_of(spans, "t1", state_function("name"))  # the agent failed because search did
    ('plan', 'search')
    """
    items = _as_steps(steps, tid)
    if not items:
        return None
    failed = [_failed(s) for s in items]
    if not any(failed):
        return None
    index: dict[Any, int] = {}
    for i, s in enumerate(items):
        sid = s.get("span_id")
        if sid is not None:
            index.setdefault(sid, i)
    parent: list[int | None] = []
    for i, s in enumerate(items):
        pid = s.get("parent_id")
        p = index.get(pid) if pid is not None else None
        parent.append(None if p == i else p)
    covered: set[int] = set()  # steps with a failing descendant
    for i, f in enumerate(failed):
        p, hops = parent[i] if f else None, 0
        while p is not None and p not in covered and hops < len(items):
            covered.add(p)
            p, hops = parent[p], hops + 1
    origins = [i for i, f in enumerate(failed) if f and i not in covered]
    first = origins[0] if origins else failed.index(True)  # parent cycles: the first failing
    fail = _label(state_of, items[first], tid, first)
    node: int | None = first
    hops = 0
    while node is not None and hops <= len(items):
        for j in range(node - 1, -1, -1):
            if parent[j] == parent[node] and not failed[j]:
                return _label(state_of, items[j], tid, j), fail
        node, hops = parent[node], hops + 1
    return START, fail


def steps_values(data: pd.DataFrame, steps: str) -> Sequence[Any]:
    """The per-trace step lists: column ``steps``, else the ``metadata[steps]`` of each trace."""
    if steps in data.columns:
        return list(data[steps])
    if "metadata" in data.columns:
        values = [m.get(steps) if isinstance(m, Mapping) else None for m in data["metadata"]]
        if any(v is not None for v in values):
            return values
    raise TaxonomyError(
        f"`steps` {steps!r} is neither a column of `data` nor a key of its `metadata`; "
        f"columns: {list(map(str, data.columns))}. Traces loaded by {SPAN_READERS} carry "
        f"metadata['spans']."
    )
