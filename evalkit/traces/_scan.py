"""Lazy, out-of-core scans of Parquet and JSONL trace folders through :mod:`pyarrow.dataset`.

:func:`scan_traces` returns a :class:`TraceScan`: filters are pushed down to the reader (Parquet
row groups whose statistics cannot match are skipped), columns are projected, and counts,
per-segment counts and (stratified) samples are computed batch by batch, so a folder larger than
memory can be explored with a bounded footprint. Results come back as pandas frames.

This module holds the entry point and the scan object; opening the files, filters, sampling and
the conversion to pandas live in ``_scan_files``, ``_scan_filter``, ``_scan_sample`` and
``_scan_frame``.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from functools import partial
from typing import TYPE_CHECKING, Any, Final, Literal

import numpy as np
import pandas as pd

from evalkit.traces._scan_files import Source, pick_format, reading, resolve
from evalkit.traces._scan_filter import as_expression
from evalkit.traces._scan_frame import to_frame
from evalkit.traces._scan_sample import bottom_k
from evalkit.traces.schema import CANONICAL_COLUMNS, COLUMNS

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.compute as pc

__all__ = ["MAX_ROWS", "ScanFormat", "TraceScan", "scan_traces"]

ScanFormat = Literal["parquet", "jsonl"]
FORMATS: Final[tuple[str, ...]] = ("parquet", "jsonl")
#: ``to_pandas()`` refuses to materialise more rows than this unless ``limit=`` is given.
MAX_ROWS: Final[int] = 1_000_000
DEFAULT_BATCH_SIZE: Final[int] = 65_536


# ------------------------------------------------------------------------------------ entry point
def scan_traces(
    path_or_glob: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
    *,
    format: ScanFormat | None = None,
    filter: pc.Expression | Mapping[str, Any] | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
) -> TraceScan:
    """Open a folder, file, glob or list of Parquet/JSONL files as a lazy :class:`TraceScan`.

    Nothing is read but file footers (Parquet) or the first block of each file (JSONL, to infer
    the schema) until you ask for counts, rows or a sample.

    Parameters
    ----------
    path_or_glob : str, path or list of them
        A file, a folder (searched recursively; names starting with ``.`` or ``_`` are skipped,
        as in :func:`pyarrow.dataset.dataset`), a glob such as ``"logs/**/*.parquet"``, or a list.
    format : {'parquet', 'jsonl'}, optional
        Read every file as this format. By default it comes from the file extensions
        (``.parquet``/``.pq``/``.parq``, ``.jsonl``/``.ndjson``), which must agree.
    filter : pyarrow.compute.Expression or mapping, optional
        Initial filter, as in :meth:`TraceScan.filter`.
    batch_size : int, default 65536
        Rows per record batch while scanning; the memory/speed trade-off. Results do not depend
        on it.

    Returns
    -------
    TraceScan
        A lazy, immutable scan: ``.filter()``, ``.columns()``, ``.count()``, ``.head()``,
        ``.segments()``, ``.sample()``, ``.to_pandas()``, ``.explain()``.

    Raises
    ------
    FileNotFoundError
        The path does not exist, or the folder/glob holds no data files.
    TraceFormatError
        A file has an unsupported extension, is not valid Parquet/JSONL, or its columns clash
        with the other files' (the error names the file).
    ValueError
        Bad ``format``, ``filter`` or ``batch_size``, or a mix of Parquet and JSONL files.

    Notes
    -----
    ``scan_traces`` reads tabular exports (one row per trace, e.g. a canonical frame written with
    ``DataFrame.to_parquet``), not the vendor formats :func:`evalkit.load_traces` parses. When the
    files hold canonical columns (``trace_id`` and others from ``CANONICAL_COLUMNS``), results have
    the canonical columns and dtypes, missing ones filled with nulls, then any extra columns.
    Columns holding JSON text where the canonical frame has Python lists/dicts (``tool_calls``,
    ``metadata``...) are parsed. Unnamed index columns that pandas wrote (``__index_level_0__``)
    are left out unless named in :meth:`TraceScan.columns`.

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> folder = tempfile.mkdtemp()
    >>> pd.DataFrame({"trace_id": ["a", "b", "c"], "segment": ["x", "y", "x"]}).to_parquet(
    ...     f"{folder}/part-0.parquet")
    >>> scan = scan_traces(folder)
    >>> scan.filter({"segment": "x"}).count()
    2
    >>> scan.segments().to_dict()
    {'x': 2, 'y': 1}
    """
    if format is not None and format not in FORMATS:
        raise ValueError(f"`format` must be one of 'parquet', 'jsonl'; got {format!r}.")
    if isinstance(batch_size, bool) or not isinstance(batch_size, int) or batch_size < 1:
        raise ValueError(f"`batch_size` must be a positive integer; got {batch_size!r}.")
    files, root = resolve(path_or_glob)
    fmt = pick_format(files, format)
    source = Source.open(files, root, fmt)
    scan = TraceScan(_source=source, _filter=None, _columns=None, _batch_size=batch_size)
    return scan if filter is None else scan.filter(filter)


# ------------------------------------------------------------------------------------------ scan
@dataclass(frozen=True, slots=True)
class TraceScan:
    """A lazy, immutable scan over Parquet/JSONL files; build it with :func:`scan_traces`.

    Every method that narrows the scan (``filter``, ``columns``) returns a new scan; the others
    read the files, batch by batch, with memory bounded by the batch size and the result.
    """

    _source: Source
    _filter: pc.Expression | None
    _columns: tuple[str, ...] | None
    _batch_size: int

    # ----------------------------------------------------------------------------- narrowing
    @property
    def schema(self) -> pa.Schema:
        """The unified Arrow schema of the files."""
        return self._source.schema

    @property
    def files(self) -> list[str]:
        """The files scanned, as paths relative to the scan root, in the order they are read."""
        return [f.name for f in self._source.files]

    @property
    def expression(self) -> pc.Expression | None:
        """The combined filter expression, or ``None``."""
        return self._filter

    def filter(self, expr: pc.Expression | Mapping[str, Any]) -> TraceScan:
        """Return a scan narrowed by ``expr`` (combined with AND with any earlier filter).

        Parameters
        ----------
        expr : pyarrow.compute.Expression or mapping
            An expression such as ``pc.field("latency_ms") > 1000``, or a mapping of column to
            value (``{"segment": "billing"}``), list of values (``{"segment": ["a", "b"]}``) or
            ``None`` (is null). Mapping items are combined with AND.

        Returns
        -------
        TraceScan
        """
        new = as_expression(expr, self.schema)
        combined = new if self._filter is None else (self._filter & new)
        return replace(self, _filter=combined)

    def columns(self, names: Sequence[str]) -> TraceScan:
        """Return a scan that reads only ``names`` (projection pushdown).

        Canonical columns the files lack are allowed and come back as nulls.
        """
        if isinstance(names, str) or not isinstance(names, Sequence) or not names:
            raise ValueError(f"`names` must be a non-empty list of column names; got {names!r}.")
        known = set(self.schema.names)
        bad = [c for c in names if c not in known and c not in CANONICAL_COLUMNS]
        if bad:
            raise ValueError(
                f"`names` has columns the files do not have: {bad!r} "
                f"(columns: {', '.join(self.schema.names)})."
            )
        return replace(self, _columns=tuple(dict.fromkeys(names)))

    # ---------------------------------------------------------------------------------- reading
    def count(self) -> int:
        """Number of rows that pass the filter (Parquet metadata answers when unfiltered)."""
        import pyarrow.dataset as ds

        total = 0
        for f in self._source.files:
            with reading(f.path, self._source.fmt):
                scanner = ds.Scanner.from_fragment(
                    f.fragment, schema=self.schema, columns=[], filter=self._filter
                )
                total += scanner.count_rows()
        return int(total)

    def explain(self) -> pd.DataFrame:
        """Return the row groups (Parquet) or files (JSONL) the filter leaves to read.

        Columns: ``file``, ``row_group`` (``<NA>`` for JSONL) and ``rows`` (rows stored in that
        unit, before row-level filtering). Row groups whose min/max statistics rule the filter
        out are absent: that is the pushdown at work.
        """
        rows = []
        for f, frag, rg in self._source.units(self._filter):
            n = frag.row_groups[0].num_rows if rg is not None else None
            rows.append((f.name, rg, n))
        return pd.DataFrame(rows, columns=["file", "row_group", "rows"]).astype(
            {"file": "string", "row_group": "Int64", "rows": "Int64"}
        )

    def head(self, n: int = 5) -> pd.DataFrame:
        """Return the first ``n`` rows that pass the filter, in file-name order."""
        n = _check_positive("n", n)
        return self._frame(self._first(n))

    def to_pandas(self, *, limit: int | None = None) -> pd.DataFrame:
        """Materialise the scan as a DataFrame.

        Parameters
        ----------
        limit : int, optional
            Return at most ``limit`` rows (the first ones, in file-name order). Without it, a
            scan with more than ``MAX_ROWS`` (1,000,000) matching rows is refused.

        Raises
        ------
        ValueError
            More than ``MAX_ROWS`` rows match and no ``limit`` was given.
        """
        if limit is None:
            n = self.count()
            if n > MAX_ROWS:
                raise ValueError(
                    f"{n:,} rows match, more than to_pandas() materialises by default "
                    f"({MAX_ROWS:,}); pass `limit=` to take the first rows, narrow the scan with "
                    ".filter()/.columns(), or use .sample()."
                )
            return self._frame(self._first(None))
        return self._frame(self._first(_check_positive("limit", limit)))

    def segments(self, by: str = "segment") -> pd.Series:
        """Count the rows per value of ``by`` (streaming; nulls are counted as ``None``).

        Returns
        -------
        pandas.Series
            Counts indexed by value, named ``count``, largest first (ties by value).
        """
        counts = self._counts(self._check_by(by))
        items = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0] is None, _sort_key(kv[0])))
        index = pd.Index([k for k, _ in items], name=by, dtype=object)
        return pd.Series([v for _, v in items], index=index, name="count", dtype="int64")

    def sample(
        self,
        n: int,
        *,
        by: str | None = None,
        seed: int | np.random.Generator | None = None,
        floor: float = 0.0,
    ) -> pd.DataFrame:
        """Draw a uniform or stratified random sample of ``n`` rows with bounded memory.

        Parameters
        ----------
        n : int
            Sample size (all rows when fewer match).
        by : str, optional
            Stratify by this column: proportional allocation with a per-stratum ``floor``
            (see :func:`evalkit.sampling.allocate`); a stratum smaller than its allocation is
            taken whole. Nulls form their own stratum.
        seed : int, Generator or None
            The same seed gives the same sample (see Notes).
        floor : float, default 0.0
            Minimum share of the sample per stratum (``floor * n_strata <= 1``).

        Returns
        -------
        pandas.DataFrame
            The sampled rows (projected columns; canonical columns when the files hold them) in
            random order, plus ``sample_strategy``, ``sample_reason`` and ``sample_weight``
            (``N_s / n_s``: inverse inclusion probability, so weights sum to the population).

        Notes
        -----
        Bottom-k sampling: every row that passes the filter gets a 64-bit random key and the
        ``k_s`` rows with the smallest keys in each stratum are kept, a simple random sample per
        stratum. Pass 1 reads only the ``by`` column to count strata, pass 2 reads it again to draw
        keys while keeping at most ``k_s`` candidates per stratum, pass 3 reads the projected
        columns of the row groups that hold a chosen row.

        The key of a row comes from a stream seeded by ``(seed, file name relative to the scan
        root)`` and the row's position among the file's filtered rows. So, with the same seed,
        files and filter, the sample is the same whatever the ``batch_size``, the order the files
        are listed in, the folder the files were moved to, or the row-group layout. Renaming files
        or changing the filter changes it.

        Examples
        --------
        >>> import tempfile, pandas as pd
        >>> folder = tempfile.mkdtemp()
        >>> pd.DataFrame({"trace_id": [f"t{i}" for i in range(100)],
        ...               "segment": ["a"] * 90 + ["b"] * 10}).to_parquet(f"{folder}/x.parquet")
        >>> s = scan_traces(folder).sample(20, by="segment", seed=0, floor=0.25)
        >>> s["segment"].value_counts().to_dict(), float(s["sample_weight"].sum())
        ({'a': 15, 'b': 5}, 100.0)
        """
        from evalkit.sampling import _check_floor, allocate

        n = _check_positive("n", n)
        if isinstance(floor, bool) or not isinstance(floor, (int, float)) or not 0 <= floor <= 1:
            raise ValueError(f"`floor` must be a number in [0, 1]; got {floor!r}.")
        draw = partial(
            bottom_k,
            self._source,
            self._filter,
            self._batch_size,
            n,
            columns=self._read_columns(),
            frame=self._frame,
            seed=seed,
        )
        if by is None:
            if floor:
                raise ValueError(f"`floor` needs `by`; got floor={floor!r} with by=None.")
            return draw(by=None, cats=[], alloc=None, counts=None)
        col = self._check_by(by)
        counts = self._counts(col)
        cats = sorted((k for k in counts if k is not None), key=_sort_key)
        if None in counts:
            cats.append(None)
        _check_floor(floor, n_strata=len(cats))
        sizes = np.array([counts[c] for c in cats], dtype=np.int64)
        alloc = allocate(pd.Series(sizes), n, floor=floor).to_numpy() if cats else sizes
        return draw(by=col, cats=cats, alloc=alloc, counts=sizes)

    def __repr__(self) -> str:
        src = self._source
        cols = "all" if self._columns is None else list(self._columns)
        return (
            f"TraceScan({len(src.files)} {src.fmt} file(s), {len(self.schema)} column(s), "
            f"columns={cols}, filter={self._filter})"
        )

    # -------------------------------------------------------------------------------- internals
    def _check_by(self, by: str) -> str:
        if not isinstance(by, str) or by not in self.schema.names:
            raise ValueError(
                f"`by` must be a column of the files; got {by!r} "
                f"(columns: {', '.join(self.schema.names)})."
            )
        return by

    def _read_columns(self) -> list[str]:
        names = set(self.schema.names)
        if self._columns is not None:
            return [c for c in self._columns if c in names]
        hidden = _pandas_index_columns(self.schema)
        return [c for c in self.schema.names if c not in hidden]

    def _first(self, n: int | None) -> pa.Table:
        import pyarrow as pa

        cols = self._read_columns()
        parts, got = [], 0
        for f in self._source.files:
            for batch in self._source.batches(
                f, f.read_fragment, cols, self._filter, self._batch_size
            ):
                if n is not None and got + batch.num_rows >= n:
                    parts.append(batch.slice(0, n - got))
                    return pa.Table.from_batches(parts, schema=self._source.projected_schema(cols))
                parts.append(batch)
                got += batch.num_rows
        return pa.Table.from_batches(parts, schema=self._source.projected_schema(cols))

    def _counts(self, col: str) -> dict[Any, int]:
        """Streaming value counts of one column (dictionary or plain)."""
        import pyarrow as pa
        import pyarrow.compute as pc

        counts: dict[Any, int] = {}
        for f, frag, _ in self._source.units(self._filter):
            for batch in self._source.batches(f, frag, [col], self._filter, self._batch_size):
                arr = batch.column(0)
                if pa.types.is_dictionary(arr.type):
                    idx = np.asarray(arr.indices.fill_null(-1), dtype=np.int64)
                    tally = np.bincount(idx[idx >= 0], minlength=len(arr.dictionary))
                    pairs = zip(arr.dictionary.to_pylist(), tally.tolist(), strict=True)
                    nulls = int(arr.null_count)
                else:
                    vc = pc.value_counts(arr)
                    values, tallies = vc.field("values").to_pylist(), vc.field("counts").to_pylist()
                    pairs = zip(values, tallies, strict=True)
                    nulls = 0
                for value, count in pairs:
                    if count:
                        counts[value] = counts.get(value, 0) + count
                if nulls:
                    counts[None] = counts.get(None, 0) + nulls
        return counts

    def _frame(self, table: pa.Table) -> pd.DataFrame:
        canonical = "trace_id" in self.schema.names
        if self._columns is not None:
            names = list(self._columns)
        elif canonical:
            names = COLUMNS + [c for c in table.column_names if c not in CANONICAL_COLUMNS]
        else:
            names = table.column_names
        return to_frame(table, names, canonical=canonical)


def _pandas_index_columns(schema: pa.Schema) -> set[str]:
    """Unnamed index columns pandas wrote (``__index_level_0__``): left out unless asked for."""
    return {c for c in schema.names if re.fullmatch(r"__index_level_\d+__", c)}


def _sort_key(value: Any) -> tuple[str, Any]:
    return (type(value).__name__, value) if value is not None else ("", 0)


def _check_positive(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"`{name}` must be a positive integer; got {value!r}.")
    return int(value)
