"""``all_like_first`` says what comparing the rows' Python values says (never "alike" wrongly)."""

from __future__ import annotations

import math
from typing import Any

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evalkit.traces._arrow_same import all_like_first

# values of one shape (so pyarrow infers one type), with nulls and absent keys here and there
_leaf = st.one_of(
    st.none(),
    st.integers(-3, 3),
    st.sampled_from(["a", "b", ""]),
    st.booleans(),
    st.sampled_from([0.5, -0.0, 0.0, 1e300]),
)
_value = st.recursive(
    _leaf,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.fixed_dictionaries({}, optional={"x": inner, "y": inner}),
    ),
    max_leaves=6,
)


def _array(rows: list[Any]) -> Any:
    try:
        return pa.array(rows)
    except (pa.ArrowException, TypeError, ValueError, OverflowError):
        return None  # rows of different shapes: not one Arrow array


def _same(a: Any, b: Any) -> bool:
    """Python equality that also tells -0.0 from 0.0 and an int from a bool (as Arrow does)."""
    if isinstance(a, float) and isinstance(b, float):
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return a == b


@settings(max_examples=400, deadline=None)
@given(
    pool=st.lists(_value, min_size=1, max_size=3),
    picks=st.lists(st.integers(0, 2), min_size=1, max_size=12),
    start=st.integers(0, 2),
)
def test_all_like_first_agrees_with_the_python_values(
    pool: list[Any], picks: list[int], start: int
) -> None:
    arr = _array([pool[i % len(pool)] for i in picks])
    if arr is None:
        return
    arr = arr.slice(min(start, len(arr) - 1))  # arrays that begin at an offset, too
    rows = arr.to_pylist()
    assert all_like_first(arr) == all(_same(r, rows[0]) for r in rows)


@pytest.mark.parametrize(
    ("rows", "alike"),
    [
        ([], True),
        ([None, None], True),
        ([[1, 2], [1, 2], [1, 2]], True),
        ([[1, 2], [1, 2], [2, 1]], False),
        ([[1, 2], [1], [2]], False),  # the same values, cut differently
        ([[1], None], False),
        ([[], []], True),
        ([{"x": None}, {"x": None}], True),
        ([{"x": None}, {"x": 1}], False),
        ([[{"x": [1]}], [{"x": [1]}]], True),
        ([[{"x": [1]}], [{"x": [1, 1]}]], False),
        ([float("nan"), float("nan")], False),  # conservative: NaN is never alike
    ],
)
def test_hand_picked_rows(rows: list[Any], alike: bool) -> None:
    assert all_like_first(pa.array(rows)) is alike


def test_maps_are_never_alike() -> None:
    arr = pa.array([[("k", 1)], [("k", 1)]], type=pa.map_(pa.string(), pa.int64()))
    assert all_like_first(arr) is False
