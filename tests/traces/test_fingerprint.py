"""Fingerprints never call repeated ids distinct, and tell distinct ids apart in practice."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
from hypothesis import given, settings
from hypothesis import strategies as st

from evalkit.traces._fingerprint import fingerprints, surely_distinct

_hex = st.text("0123456789abcdef", min_size=1, max_size=3)


@settings(max_examples=300, deadline=None)
@given(
    stems=st.lists(_hex, min_size=1, max_size=30),
    width=st.sampled_from([16, 32]),
    split=st.integers(0, 30),
    offset=st.integers(0, 3),
)
def test_distinct_only_when_the_ids_are(stems: list[str], width: int, split: int, offset: int):
    ids = [s.rjust(width, "0") for s in stems]  # few characters differ: a hard case for a mix
    arr = pa.array(["x" * width] * offset + ids).slice(offset)  # arrays at an offset, too
    pieces = [arr.slice(0, split), arr.slice(split)]  # a file's ids come in pieces
    prints = [fingerprints(p) for p in pieces if len(p)]
    assert all(p is not None and p.dtype == np.uint64 for p in prints)
    if surely_distinct(prints):
        assert len(set(ids)) == len(ids)
    if len(set(ids)) < len(ids):
        assert not surely_distinct(prints)


def test_sequential_ids_are_told_apart() -> None:
    for width in (16, 32):
        ids = pa.array([f"{i:0{width}x}" for i in range(200_000)])
        assert surely_distinct([fingerprints(ids)])


def test_other_ids_have_no_fingerprint() -> None:
    assert fingerprints(pa.array(["a" * 16, "b" * 32])) is None  # mixed widths
    assert fingerprints(pa.array(["a" * 16, None])) is None
    assert fingerprints(pa.array(["abc"])) is None
    assert fingerprints(pa.array([], pa.string())) is None
    assert not surely_distinct([None])
