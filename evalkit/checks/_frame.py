"""Column access for checks: canonical columns as Arrow arrays, lists and joined message text.

Checks read the canonical frame through these helpers so that Arrow-backed columns stay in Arrow
(string kernels run in C, and regexes in RE2) and object columns built by hand work the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from numpy.typing import NDArray

from evalkit.checks._core import CheckError


def column(frame: pd.DataFrame, name: str) -> pd.Series:
    """The column ``name`` or a typed error naming the columns there are."""
    if name not in frame.columns:
        raise CheckError(f"column {name!r} is not in the trace frame; "
                         f"columns: {list(map(str, frame.columns))}.")
    return frame[name]


def strings(frame: pd.DataFrame, name: str) -> pa.Array:
    """A string column as one Arrow ``large_string`` array (nulls for missing values)."""
    s = column(frame, name)
    arr: Any = s.array
    if hasattr(arr, "__arrow_array__"):
        out = one_chunk(arr.__arrow_array__())
    else:
        vals = s.astype(object)
        out = pa.array(vals.where(vals.notna(), None).tolist(), from_pandas=True)
    if not (pa.types.is_string(out.type) or pa.types.is_large_string(out.type)):
        if pa.types.is_null(out.type):
            return pa.nulls(len(s), pa.large_string())
        raise CheckError(f"column {name!r} must hold text; got Arrow type {out.type}.")
    return out.cast(pa.large_string())


def one_chunk(arr: pa.Array | pa.ChunkedArray) -> pa.Array:
    """One Arrow array (a single chunk is used as is: ``combine_chunks`` would copy it)."""
    if isinstance(arr, pa.ChunkedArray):
        return arr.chunk(0) if arr.num_chunks == 1 else arr.combine_chunks()
    return arr


def as_bool(arr: pa.Array | pa.ChunkedArray) -> NDArray[np.bool_]:
    """Arrow booleans to numpy, nulls as False."""
    return np.asarray(pc.fill_null(arr, False).to_numpy(zero_copy_only=False), dtype=bool)


def is_null(arr: pa.Array) -> NDArray[np.bool_]:
    """Null mask of an Arrow array as numpy."""
    return np.asarray(arr.is_null().to_numpy(zero_copy_only=False), dtype=bool)


def objects(frame: pd.DataFrame, name: str) -> list[Any]:
    """An object column (``tool_calls``, ``metadata``) as a Python list, one cell per trace."""
    s = column(frame, name)
    if isinstance(s.dtype, pd.ArrowDtype):
        return list(s.array.__arrow_array__().to_pylist())
    return s.tolist()


def numbers(frame: pd.DataFrame, name: str) -> NDArray[np.float64]:
    """A numeric column as float64 with ``nan`` for missing values."""
    s = column(frame, name)
    try:
        return np.asarray(pd.to_numeric(s, errors="raise").astype("Float64")
                          .to_numpy(dtype=np.float64, na_value=np.nan))
    except (TypeError, ValueError) as exc:
        raise CheckError(f"column {name!r} must be numeric: {exc}") from None


def list_column(frame: pd.DataFrame, name: str) -> pa.ListArray | None:
    """A list-of-struct column (``messages``, ``retrieved``) as one Arrow ListArray, if Arrow."""
    s = column(frame, name)
    if isinstance(s.dtype, pd.ArrowDtype):
        arr = one_chunk(s.array.__arrow_array__())
        if pa.types.is_list(arr.type) or pa.types.is_large_list(arr.type):
            return arr
    return None


def joined_field(
    frame: pd.DataFrame,
    name: str,
    fld: str,
    *,
    rows: NDArray[np.int64] | None = None,
    roles: Sequence[str] | None = None,
    sep: str = "\n",
) -> list[str]:
    """Per trace, the text of ``fld`` over the items of list column ``name``, joined with ``sep``.

    ``roles`` keeps only items whose ``role`` is listed (messages). ``rows`` picks traces.
    Missing lists and missing texts count as empty.
    """
    idx = np.arange(len(frame)) if rows is None else np.asarray(rows, dtype=np.int64)
    arr = list_column(frame, name)
    if arr is not None:
        sub = arr.take(pa.array(idx, type=pa.int64()))
        flat = pc.list_flatten(sub)
        parents = pc.list_parent_indices(sub).to_numpy()
        if not pa.types.is_struct(flat.type) or flat.type.get_field_index(fld) < 0:
            return [""] * len(idx)
        text = pc.fill_null(pc.struct_field(flat, fld).cast(pa.large_string()), "")
        keep = np.ones(len(flat), dtype=bool)
        if roles is not None and flat.type.get_field_index("role") >= 0:
            keep = as_bool(pc.is_in(pc.struct_field(flat, "role"),
                                    value_set=pa.array(list(roles), pa.string())))
        text = text.filter(pa.array(keep))
        counts = np.bincount(parents[keep], minlength=len(idx))
        offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        lists = pa.LargeListArray.from_arrays(pa.array(offsets), text)
        return [str(x) for x in pc.binary_join(lists, sep).to_pylist()]
    cells = column(frame, name).tolist()
    out = []
    for i in idx:
        items = cells[int(i)]
        parts = []
        if isinstance(items, (list, tuple, np.ndarray)):
            for it in items:
                if not isinstance(it, dict):
                    continue
                if roles is not None and it.get("role") not in roles:
                    continue
                v = it.get(fld)
                if v is not None:
                    parts.append(v if isinstance(v, str) else str(v))
        out.append(sep.join(parts))
    return out


def list_lengths(frame: pd.DataFrame, name: str) -> NDArray[np.int64]:
    """Number of items per trace in a list column (0 for missing)."""
    arr = list_column(frame, name)
    if arr is not None:
        return np.asarray(pc.fill_null(pc.list_value_length(arr), 0).to_numpy(), dtype=np.int64)
    return np.fromiter(
        (len(v) if isinstance(v, (list, tuple, np.ndarray)) else 0 for v in column(frame, name)),
        dtype=np.int64, count=len(frame))


def list_rows(frame: pd.DataFrame, name: str, rows: NDArray[np.int64]) -> list[Any]:
    """The cells of list column ``name`` at positions ``rows``, as Python lists of dicts."""
    arr = list_column(frame, name)
    if arr is not None:
        return list(arr.take(pa.array(rows, type=pa.int64())).to_pylist())
    cells = column(frame, name).tolist()
    out = []
    for i in rows.tolist():
        v = cells[i]
        out.append(list(v) if isinstance(v, (list, tuple, np.ndarray)) else [])
    return out


def message_tuples(
    frame: pd.DataFrame, rows: NDArray[np.int64]
) -> list[list[tuple[Any, Any, Any]]]:
    """Per trace at ``rows``: its messages as ``(role, content, tool_calls)`` tuples, in order.

    The Arrow path converts the three fields column by column (no dict per message), and leaves
    out assistant messages without tool calls (their text is never needed by the callers).
    """
    arr = list_column(frame, "messages")
    if arr is None or not pa.types.is_struct(arr.type.value_type):
        out = []
        for msgs in list_rows(frame, "messages", rows):
            out.append([(m.get("role"), m.get("content"), m.get("tool_calls"))
                        for m in msgs if isinstance(m, dict)])
        return out
    sub = arr.take(pa.array(rows, type=pa.int64()))
    flat = pc.list_flatten(sub)
    parents = pc.list_parent_indices(sub).to_numpy()
    st = flat.type

    def fld(name: str) -> pa.Array:
        return (pc.struct_field(flat, name) if st.get_field_index(name) >= 0
                else pa.nulls(len(flat)))

    role, content, tcs = fld("role"), fld("content"), fld("tool_calls")
    n_tc = (np.asarray(pc.fill_null(pc.list_value_length(tcs), 0).to_numpy(), dtype=np.int64)
            if pa.types.is_list(tcs.type) or pa.types.is_large_list(tcs.type)
            else np.zeros(len(flat), dtype=np.int64))
    is_asst = as_bool(pc.equal(role, "assistant"))
    keep = ~is_asst | (n_tc > 0)
    idx = pa.array(np.flatnonzero(keep), type=pa.int64())
    roles = role.take(idx).to_pylist()
    # system prompts and tool schemas repeat: convert each distinct text to Python once
    enc = pc.dictionary_encode(pc.fill_null(content.take(idx).cast(pa.large_string()), ""))
    uniq = enc.dictionary.to_pylist()
    contents = [uniq[c] for c in enc.indices.to_numpy(zero_copy_only=False).tolist()]
    calls: list[Any] = [None] * len(roles)
    kept_calls = np.flatnonzero(n_tc[keep] > 0)
    if len(kept_calls):
        call_lists = tcs.take(pa.array(np.flatnonzero(keep)[kept_calls], type=pa.int64()))
        for j, v in zip(kept_calls.tolist(), call_lists.to_pylist(), strict=True):
            calls[j] = v
    counts = np.bincount(parents[keep], minlength=len(rows))
    out, pos = [], 0
    for c in counts.tolist():
        out.append(list(zip(roles[pos:pos + c], contents[pos:pos + c], calls[pos:pos + c],
                            strict=True)))
        pos += c
    return out
