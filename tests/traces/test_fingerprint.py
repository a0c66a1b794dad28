"""Fingerprints never call repeated ids distinct, and tell distinct ids apart in practice."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from evalkit.traces import _fingerprint
from evalkit.traces._fingerprint import fingerprints, surely_distinct

_id = st.one_of(
    st.text("0123456789abcdef", min_size=1, max_size=3).map(lambda s: s.rjust(32, "0")),
    st.text("0123456789abcdef", min_size=1, max_size=3).map(lambda s: s.rjust(16, "0")),
    st.text(max_size=12),  # any text, any length (the empty id, too)
)


@settings(max_examples=300, deadline=None)
@given(
    ids=st.lists(_id, min_size=1, max_size=30),
    split=st.integers(0, 30),
    offset=st.integers(0, 3),
    large=st.booleans(),
    block=st.sampled_from([1, 2, 1 << 16]),
)
def test_distinct_only_when_the_ids_are(
    ids: list[str], split: int, offset: int, large: bool, block: int
) -> None:
    kind = pa.large_string() if large else pa.string()
    arr = pa.array(["x" * 9] * offset + ids, kind).slice(offset)  # arrays at an offset, too
    pieces = [arr.slice(0, split), arr.slice(split)]  # a file's ids come in pieces
    saved = _fingerprint._BLOCK
    _fingerprint._BLOCK = block  # ids of mixed lengths gathered a block at a time
    try:
        prints = [fingerprints(p) for p in pieces]
        chunked = fingerprints(pa.chunked_array(pieces, kind))
    finally:
        _fingerprint._BLOCK = saved
    assert all(p is not None and p.dtype == np.uint64 for p in prints)
    assert chunked is not None and chunked.tolist() == np.concatenate(prints).tolist()
    if surely_distinct(prints):
        assert len(set(ids)) == len(ids)
    if len(set(ids)) < len(ids):
        assert not surely_distinct(prints)


def test_common_ids_are_told_apart() -> None:
    for ids in (
        [f"{i:032x}" for i in range(200_000)],
        [f"{i:016x}" for i in range(200_000)],
        [f"chatcmpl-{i:012d}" for i in range(200_000)],
        [f"trace-{i}" for i in range(200_000)],  # lengths 7 to 12
    ):
        assert surely_distinct([fingerprints(pa.array(ids))])


def test_what_has_no_fingerprint() -> None:
    assert fingerprints(pa.array(["a" * 16, None])) is None
    assert fingerprints(pa.array([1, 2])) is None
    assert fingerprints(pa.array(["x" * k for k in range(_fingerprint._SHAPES + 1)])) is None
    assert fingerprints(pa.array([], pa.string())).tolist() == []
    assert not surely_distinct([None])
