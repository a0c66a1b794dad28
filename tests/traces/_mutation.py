"""Shared helpers of the mutate-a-fixture fuzz tests: odd values, every path into a JSON value,
and one replacement or deletion at a path (tests/traces/test_*_fuzz.py)."""

from __future__ import annotations

import contextlib
import json
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from evalkit.errors import TraceError, TraceFormatError
from evalkit.traces import load_traces


def odd_values(*special: str, max_leaves: int = 8) -> st.SearchStrategy[Any]:
    """Any JSON-ish value built from odd scalars (huge integers, NaN, infinity, ``special``)."""
    scalars = (
        st.none()
        | st.booleans()
        | st.integers(-(2**70), 2**70)
        | st.floats(allow_nan=True, allow_infinity=True)
        | st.text(max_size=12)
        | st.sampled_from(["", "[", "{}", *special])
    )
    return st.recursive(
        scalars,
        lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=6), c, max_size=3),
        max_leaves=max_leaves,
    )


def paths(obj: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Every path (tuple of keys and indexes) into ``obj``, the empty path first."""
    yield prefix
    items = (
        obj.items() if isinstance(obj, dict) else enumerate(obj) if isinstance(obj, list) else []
    )
    for k, v in items:
        yield from paths(v, (*prefix, k))


def mutate(obj: Any, path: tuple[Any, ...], value: Any, delete: bool) -> Any:
    """Set (or, in an object, delete) the value at ``path``; the whole value for the empty path."""
    if not path:
        return value
    cur = obj
    for k in path[:-1]:
        cur = cur[k]
    if delete and isinstance(cur, dict):
        del cur[path[-1]]
    else:
        cur[path[-1]] = value
    return obj


def mutated_file(src: Path, folder: Path, data: Any, value: Any, delete: bool) -> tuple[Path, Any]:
    """Write ``src`` (a JSON document or JSON Lines) into ``folder`` with one value replaced or
    deleted at a path drawn from ``data``; return the new file and its document."""
    text = src.read_text()
    jsonl = src.name.endswith(".jsonl")
    doc = [json.loads(x) for x in text.splitlines()] if jsonl else json.loads(text)
    where = data.draw(st.sampled_from([p for p in paths(doc) if p or not jsonl]))
    doc = mutate(doc, where, value, delete)
    out = folder / src.name
    out.write_text("\n".join(json.dumps(x) for x in doc) if jsonl else json.dumps(doc))
    return out, doc


def load_both_modes(files: Any, **options: Any) -> list[Any]:
    """Load under ``errors="raise"`` (only ``TraceFormatError`` may escape) and ``"collect"``
    (never raises; every record a ``TraceError``); return the collected errors."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with contextlib.suppress(TraceFormatError):
            load_traces(files, **options)
        _, errors = load_traces(files, errors="collect", **options)
    assert all(isinstance(e, TraceError) for e in errors)
    return errors
