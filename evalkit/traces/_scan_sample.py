"""Bottom-k sampling over a scan: uniform or stratified, with memory bounded by the sample.

One job: give every row that passes the filter a 64-bit random key from a stream seeded by
``(seed, file name)``, keep the ``k_s`` smallest keys per stratum while streaming, then read back
only the chosen rows. The public entry is :meth:`evalkit.traces._scan.TraceScan.sample`.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.dataset as ds

    from evalkit.traces._scan_files import Source

_UINT64_MAX = np.uint64(np.iinfo(np.uint64).max)


def bottom_k(
    source: Source,
    flt: pc.Expression | None,
    batch_size: int,
    n: int,
    *,
    columns: list[str],
    frame: Callable[[pa.Table], pd.DataFrame],
    by: str | None,
    cats: list[Any],
    alloc: np.ndarray | None,
    counts: np.ndarray | None,
    seed: int | np.random.Generator | None,
) -> pd.DataFrame:
    """Bottom-k sample of ``n`` rows (``alloc`` per stratum of ``by``), as ``TraceScan.sample``.

    ``columns`` are read for the chosen rows, ``frame`` turns them into the result frame.
    """
    import pyarrow as pa

    from evalkit.sampling import bottom_k_mask

    base = _base_entropy(seed)
    n_strata = len(cats) if by is not None else 1
    k = np.array([n], dtype=np.int64) if alloc is None else np.asarray(alloc, dtype=np.int64)
    value_type = source.schema.field(by).type if by is not None else None
    if value_type is not None and pa.types.is_dictionary(value_type):
        value_type = value_type.value_type
    cat_arr = pa.array([c for c in cats if c is not None], type=value_type)
    null_code = len(cat_arr)
    # the pool: candidates so far (stratum code, key, file rank, position in file)
    pool_c = np.empty(0, np.int64)
    pool_k = np.empty(0, np.uint64)
    pool_f = np.empty(0, np.int64)
    pool_p = np.empty(0, np.int64)
    thresh = np.full(n_strata, _UINT64_MAX, dtype=np.uint64)
    full = k <= 0
    units: dict[int, list[tuple[ds.Fragment, int, int]]] = {}
    seen = np.zeros(n_strata, dtype=np.int64)
    cols = [by] if by is not None else []
    limit = max(2 * int(k.sum()), batch_size)  # prune early: thresholds then bite
    for f in source.files:
        bitgen = np.random.PCG64(np.random.SeedSequence(base, spawn_key=_name_key(f.name)))
        offset = 0
        for _, frag, _rg in source.units_of(f, flt):
            start = offset
            for batch in source.batches(f, frag, cols, flt, batch_size):
                m = batch.num_rows
                keys = np.asarray(bitgen.random_raw(m), dtype=np.uint64)
                codes = (
                    _codes(batch.column(0), cat_arr, null_code)
                    if by is not None
                    else np.zeros(m, np.int64)
                )
                seen += np.bincount(codes, minlength=n_strata)
                keep = ~full[codes] | (keys < thresh[codes])
                if keep.any():
                    idx = np.flatnonzero(keep)
                    pool_c = np.concatenate([pool_c, codes[idx]])
                    pool_k = np.concatenate([pool_k, keys[idx]])
                    pool_f = np.concatenate([pool_f, np.full(len(idx), f.rank)])
                    pool_p = np.concatenate([pool_p, offset + idx])
                offset += m
                if len(pool_k) > limit:
                    sel = _prune(pool_c, pool_k, pool_f, pool_p, k, bottom_k_mask)
                    pool = (pool_c, pool_k, pool_f, pool_p)
                    pool_c, pool_k, pool_f, pool_p = (a[sel] for a in pool)
                    thresh, full = _thresholds(pool_c, pool_k, k, n_strata)
            if offset > start:
                units.setdefault(f.rank, []).append((frag, start, offset - start))
    if counts is not None and not np.array_equal(seen, counts):
        raise RuntimeError("the files changed during the scan (stratum counts differ).")
    counts = seen
    sel = _prune(pool_c, pool_k, pool_f, pool_p, k, bottom_k_mask)
    pool_c, pool_k, pool_f, pool_p = (a[sel] for a in (pool_c, pool_k, pool_f, pool_p))
    order = np.lexsort((pool_p, pool_f, pool_k))
    pool_c, pool_f, pool_p = pool_c[order], pool_f[order], pool_p[order]
    table = _fetch(source, flt, batch_size, columns, pool_f, pool_p, units)
    out = frame(table)
    taken = np.minimum(k, counts)
    if by is None:
        text = [f"uniform: {int(taken[0])} of {int(counts[0])}"]
    else:
        from evalkit.sampling import _show

        text = [
            f"stratum {by}={_show(c)}: {int(taken[i])} of {int(counts[i])}"
            for i, c in enumerate([*cat_arr.to_pylist(), None][:n_strata])
        ]
    with np.errstate(divide="ignore", invalid="ignore"):
        weights = counts[pool_c] / taken[pool_c]
    out["sample_strategy"] = pd.Series(
        ["stratified" if by is not None else "random"] * len(out), dtype="string"
    )
    out["sample_reason"] = pd.Series([text[c] for c in pool_c], dtype="string")
    out["sample_weight"] = weights.astype(np.float64)
    return out


def _codes(arr: pa.Array, cats: pa.Array, null_code: int) -> np.ndarray:
    """Stratum code of each row: its index in ``cats``, ``null_code`` for nulls."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if pa.types.is_dictionary(arr.type):
        found = pc.index_in(arr.dictionary, value_set=cats)
        missing = pc.and_(pc.is_null(found), pc.is_valid(arr.dictionary))
        lookup = np.asarray(found.fill_null(null_code), dtype=np.int64)
        idx = np.asarray(arr.indices.fill_null(len(arr.dictionary)), dtype=np.int64)
        codes = np.append(lookup, null_code)[idx]
        unknown = bool(np.append(missing.to_numpy(zero_copy_only=False), False)[idx].any())
    else:
        found = pc.index_in(arr, value_set=cats)
        unknown = found.null_count > arr.null_count
        codes = np.asarray(found.fill_null(null_code), dtype=np.int64)
    if unknown:
        raise RuntimeError("the files changed during the scan (a new stratum appeared).")
    return codes


def _fetch(
    source: Source,
    flt: pc.Expression | None,
    batch_size: int,
    cols: list[str],
    files: np.ndarray,
    positions: np.ndarray,
    units: dict[int, list[tuple[ds.Fragment, int, int]]],
) -> pa.Table:
    """Read the chosen rows (file rank, filtered position) back, in the given order."""
    import pyarrow as pa

    schema = source.projected_schema(cols)
    parts: list[pa.Table] = []
    order_parts: list[np.ndarray] = []
    by_file = {f.rank: f for f in source.files}
    for rank in np.unique(files):
        where = np.flatnonzero(files == rank)
        pos = positions[where]
        srt = np.argsort(pos, kind="stable")
        pos, where = pos[srt], where[srt]
        f = by_file[int(rank)]
        for frag, start, size in units[int(rank)]:
            lo, hi = np.searchsorted(pos, [start, start + size])
            if lo == hi:
                continue  # no chosen row in this row group: skip reading it
            batch_start = start
            for batch in source.batches(f, frag, cols, flt, batch_size):
                a, b = np.searchsorted(pos, [batch_start, batch_start + batch.num_rows])
                if b > a:
                    parts.append(
                        pa.Table.from_batches([batch.take(pos[a:b] - batch_start)], schema)
                    )
                    order_parts.append(where[a:b])
                batch_start += batch.num_rows
    if not parts:
        return schema.empty_table()
    table = pa.concat_tables(parts)
    got = np.concatenate(order_parts)
    if len(got) != len(positions):
        raise RuntimeError("the files changed during the scan (rows went missing).")
    return table.take(np.argsort(got, kind="stable"))


def _prune(
    c: np.ndarray, keys: np.ndarray, f: np.ndarray, p: np.ndarray, k: np.ndarray, bottom_k: Any
) -> np.ndarray:
    # Make the key unique and order-free before bottom-k: (key, file rank, position).
    order = np.lexsort((p, f, keys))
    rank = np.empty(len(order), np.int64)
    rank[order] = np.arange(len(order))
    return np.flatnonzero(bottom_k(c, rank, k))


def _thresholds(
    c: np.ndarray, keys: np.ndarray, k: np.ndarray, n_strata: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per stratum: the largest kept key, and whether the stratum already holds k rows."""
    held = np.bincount(c, minlength=n_strata)
    top = np.zeros(n_strata, dtype=np.uint64)
    np.maximum.at(top, c, keys)
    full = held >= k
    return np.where(full, top, _UINT64_MAX).astype(np.uint64), full


def _base_entropy(seed: int | np.random.Generator | None) -> int:
    if isinstance(seed, np.random.Generator):
        return int(seed.integers(0, 2**63))
    if seed is None:
        return int(np.random.SeedSequence().entropy)  # type: ignore[arg-type]
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(
            f"`seed` must be a non-negative integer, a Generator or None; got {seed!r}."
        )
    return int(seed)


def _name_key(name: str) -> tuple[int, ...]:
    digest = hashlib.blake2b(name.encode(), digest_size=16).digest()
    return tuple(int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4))
