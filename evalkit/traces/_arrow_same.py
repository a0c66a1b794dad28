"""Whether every row of an Arrow array equals its first row, without making Python objects.

One job, for the vectorised readers: a request's ``tools`` schema (or any nested value) is very
often the same on every line, and making a million equal Python copies of it only to find them
equal costs more than the rest of the row. Nested arrays are compared level by level: a list
level by its lengths, a struct level by its fields, the leaves by value (validity included).
"""

from __future__ import annotations

from typing import Any


def all_like_first(arr: Any) -> bool:
    """True if every row of ``arr`` equals row 0 (a null only equals a null).

    Conservative: floats compare by value (a NaN is never equal, so such a column is "not all
    alike"), and map, union or dictionary arrays are never "alike"; the caller then goes row by
    row.

    Examples
    --------
    >>> import pyarrow as pa
    >>> all_like_first(pa.array([[{"a": 1}], [{"a": 1}]]))
    True
    >>> all_like_first(pa.array([[{"a": 1}], [{"a": 1}, {"a": 1}]]))
    False
    """
    return _periodic(arr, 1)


def _periodic(arr: Any, period: int) -> bool:
    """True if ``arr[k]`` equals ``arr[k % period]`` for every ``k`` (``len(arr)`` a multiple)."""
    import numpy as np
    import pyarrow as pa

    size = len(arr)
    if period == 0 or size <= period:
        return size == period or size == 0
    if size % period:
        return False
    reps = size // period
    if arr.null_count and not _tiled(np.asarray(arr.is_valid()), period, reps):
        return False
    kind = arr.type
    if pa.types.is_null(kind):
        return True
    if pa.types.is_struct(kind):
        return all(_periodic(child, period) for child in arr.flatten())
    if pa.types.is_list(kind) or pa.types.is_large_list(kind):
        lengths = np.asarray(arr.value_lengths().fill_null(0))
        if not _tiled(lengths, period, reps):
            return False
        return _periodic(arr.flatten(), int(lengths[:period].sum()))
    if pa.types.is_nested(kind) or pa.types.is_dictionary(kind):
        return False
    first = arr.slice(0, period)
    tiled = first.take(pa.array(np.tile(np.arange(period, dtype=np.int64), reps)))
    return bool(arr.equals(tiled))


def _tiled(values: Any, period: int, reps: int) -> bool:
    import numpy as np

    rows = values.reshape(reps, period)
    return bool(np.array_equal(rows, np.broadcast_to(rows[0], rows.shape)))
