"""Group traces whose check inputs are equal, so a costly check runs once per distinct input.

Answers, references and retrieved documents repeat across traces (canned replies, one knowledge
base, retried requests). A check whose verdict depends only on some strings and lists of strings
computes it on one representative row per distinct combination and broadcasts it back. Grouping
is exact (no hashing shortcuts that could merge different inputs): each row's inputs become one
binary key of Arrow dictionary codes, and Arrow's hash kernel groups the keys.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray


def string_codes(arr: pa.Array) -> NDArray[np.int64]:
    """Dictionary code of each string (equal strings, equal codes; null is -1).

    Examples
    --------
    >>> import pyarrow as pa
    >>> string_codes(pa.array(["a", "b", None, "a"])).tolist()
    [0, 1, -1, 0]
    """
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    idx = pc.dictionary_encode(arr).indices
    return np.asarray(pc.fill_null(idx.cast(pa.int64()), -1).to_numpy(), dtype=np.int64)


def distinct_rows(
    n: int,
    scalars: Sequence[NDArray[np.int64]] = (),
    lists: Sequence[tuple[NDArray[np.int64], NDArray[np.int64]]] = (),
) -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """Rows equal in every part share a group: ``(first row of each group, group of each row)``.

    Parameters
    ----------
    n : int
        Number of rows.
    scalars : sequence of int64 arrays of length ``n``
        One code per row (e.g. :func:`string_codes` of the answer).
    lists : sequence of ``(codes, counts)``
        A list per row: ``codes`` flattened in row order, ``counts`` items per row (length
        ``n``). Order inside a row matters.

    Examples
    --------
    >>> import numpy as np
    >>> first, group = distinct_rows(4, [np.array([0, 1, 0, 0])],
    ...                              [(np.array([5, 5, 6, 5]), np.array([1, 1, 1, 1]))])
    >>> first.tolist(), group.tolist()
    ([0, 1, 2], [0, 1, 2, 0])
    """
    if n == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    widths = [np.ones(n, dtype=np.int64) for _ in scalars]
    widths += [np.asarray(c, dtype=np.int64) + 1 for _, c in lists]
    row_len = np.sum(widths, axis=0) if widths else np.zeros(n, dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(row_len)]).astype(np.int64)
    data = np.empty(int(offsets[-1]), dtype=np.int64)
    start = offsets[:-1].copy()
    for s in scalars:
        data[start] = s
        start += 1
    for codes, counts in lists:
        counts = np.asarray(counts, dtype=np.int64)
        data[start] = counts
        first_item = np.concatenate([[0], np.cumsum(counts)[:-1]])
        owner = np.repeat(np.arange(n), counts)
        rank = np.arange(len(owner)) - first_item[owner]
        data[start[owner] + 1 + rank] = codes
        start += counts + 1
    keys = pa.LargeBinaryArray.from_buffers(
        pa.large_binary(), n, [None, pa.py_buffer(offsets * 8), pa.py_buffer(data)])
    group = np.asarray(pc.dictionary_encode(keys).indices.to_numpy(), dtype=np.int64)
    _, first = np.unique(group, return_index=True)
    return first.astype(np.int64), group


def message_groups(msgs: pa.ListArray) -> tuple[NDArray[np.int64], NDArray[np.int64]] | None:
    """Group conversations equal in every message's role, content and tool calls (Arrow).

    ``None`` when the messages are not a list of structs with string ``role``/``content`` (and,
    if present, tool calls with string ``name``/``arguments``): then nothing is grouped.
    """
    if not pa.types.is_struct(msgs.type.value_type):
        return None
    flat = pc.list_flatten(msgs)
    st = flat.type
    n = len(msgs)
    counts = np.asarray(pc.fill_null(pc.list_value_length(msgs), 0).to_numpy(), dtype=np.int64)
    parents = np.asarray(pc.list_parent_indices(msgs).to_numpy(), dtype=np.int64)
    try:
        parts = []
        for name in ("role", "content"):
            col = (pc.struct_field(flat, name) if st.get_field_index(name) >= 0
                   else pa.nulls(len(flat), pa.string()))
            parts.append((string_codes(col.cast(pa.large_string())), counts))
        if st.get_field_index("tool_calls") >= 0:
            tcs = pc.struct_field(flat, "tool_calls")
            if not (pa.types.is_list(tcs.type) or pa.types.is_large_list(tcs.type)):
                return None
            n_tc = np.asarray(pc.fill_null(pc.list_value_length(tcs), 0).to_numpy(),
                              dtype=np.int64)
            parts.append((n_tc, counts))  # calls per message keep the calls in their place
            tflat = pc.list_flatten(tcs)
            per_row = np.bincount(parents, weights=n_tc, minlength=n).astype(np.int64)
            for name in ("name", "arguments"):
                if not pa.types.is_struct(tflat.type):
                    return None
                col = (pc.struct_field(tflat, name) if tflat.type.get_field_index(name) >= 0
                       else pa.nulls(len(tflat), pa.string()))
                parts.append((string_codes(col.cast(pa.large_string())), per_row))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return None  # e.g. arguments kept as structs: no grouping, every trace on its own
    return distinct_rows(n, [], parts)
