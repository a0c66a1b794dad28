"""Open the files of a scan: discovery, format choice and the pyarrow dataset that reads them.

One job: turn a path, folder, glob or list into sorted data files under a common root, check them
(Parquet magic bytes, unified columns; errors name the file), and wrap them in a :class:`Source`
that yields reading units (Parquet row groups pruned by the filter, or whole JSONL files) and
their record batches.
"""

from __future__ import annotations

import glob as globlib
import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final

from evalkit.errors import TraceError, TraceFormatError
from evalkit.traces import _guards
from evalkit.traces._base import ErrorSink

if TYPE_CHECKING:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.dataset as ds

EXTENSIONS: Final[dict[str, str]] = {
    ".parquet": "parquet",
    ".pq": "parquet",
    ".parq": "parquet",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
}
_GLOB_CHARS = re.compile(r"[*?\[]")


def _skipped(path: Path) -> bool:
    """Names pyarrow datasets skip too (``.hidden``, ``_SUCCESS``, ``_metadata``)."""
    return path.name.startswith((".", "_"))


def _check_file(path: Path) -> None:
    """Refuse, naming the file, what must not be opened: broken links, loops, pipes, devices."""
    problem = _guards.link_problem(path) if path.is_symlink() else None
    if problem is None:
        problem = _guards.not_regular(path)
    if problem is not None:
        raise TraceFormatError(
            TraceError(file=str(path), message=problem.removesuffix("; skipped"))
        )


def _folder_files(base: Path, text: str) -> list[Path]:
    """Files under ``base`` (recursive), through the same guards as ``load_traces``' folders.

    Broken links, link loops (``..``), pipes and devices are errors naming the path, never opened
    or followed (a FIFO would block the scan forever; ``/dev/zero`` never ends).
    """
    sink = ErrorSink(mode="collect")
    found = list(_guards.walk(base, sink, lambda _p: False, _skipped))
    problems = [e for e in sink.errors if "holds no trace files" not in e.message]
    if problems:
        first = problems[0]
        raise TraceFormatError(
            TraceError(file=first.file, message=first.message.removesuffix("; skipped"))
        )
    if not found:
        raise FileNotFoundError(f"folder {text!r} holds no data files.")
    for path in found:
        _check_file(path)
    return found


def resolve(
    path_or_glob: str | os.PathLike[str] | Sequence[str | os.PathLike[str]],
) -> tuple[list[Path], Path]:
    """Return the data files (sorted) and the root their names are taken relative to.

    Every file is checked as by ``load_traces`` (:mod:`evalkit.traces._guards`): a named pipe, a
    device, a broken link or a link loop is a :class:`TraceFormatError` naming it.
    """
    if isinstance(path_or_glob, (str, os.PathLike)):
        items = [path_or_glob]
    elif isinstance(path_or_glob, Sequence) and path_or_glob:
        items = list(path_or_glob)
    else:
        raise ValueError(
            "`path_or_glob` must be a path, a glob or a non-empty list of paths; "
            f"got {path_or_glob!r}."
        )
    files: list[Path] = []
    roots: list[Path] = []
    for item in items:
        text = os.fspath(item)
        if _GLOB_CHARS.search(text):
            found = [
                Path(p)
                for p in globlib.glob(text, recursive=True)
                if Path(p).is_symlink() or not Path(p).is_dir()
            ]
            if not found:
                raise FileNotFoundError(f"no files match the glob {text!r}.")
            for path in found:
                _check_file(path)
            prefix = Path(text[: _GLOB_CHARS.search(text).start()])  # type: ignore[union-attr]
            roots.append(prefix if text.endswith(os.sep) or prefix.is_dir() else prefix.parent)
            files += found
        elif Path(text).is_dir():
            roots.append(Path(text))
            files += _folder_files(Path(text), text)
        elif Path(text).exists() or Path(text).is_symlink():
            _check_file(Path(text))
            roots.append(Path(text).parent)
            files.append(Path(text))
        else:
            raise FileNotFoundError(f"no such file or folder: {text!r}.")
    files = sorted({p.resolve() for p in files})
    root = Path(os.path.commonpath([r.resolve() for r in roots])) if roots else Path.cwd()
    return files, root


def pick_format(files: list[Path], format: str | None) -> str:
    if format is not None:
        return format
    kinds: dict[str, Path] = {}
    for path in files:
        kind = EXTENSIONS.get(path.suffix.lower())
        if kind is None:
            raise TraceFormatError(
                TraceError(
                    file=str(path),
                    message=(
                        f"unsupported file type {path.suffix or '(no extension)'!r}: scan_traces "
                        "reads .parquet/.pq/.parq and .jsonl/.ndjson files (pass format= to read "
                        "other names, or use evalkit.load_traces for vendor formats)"
                    ),
                )
            )
        kinds.setdefault(kind, path)
    if len(kinds) > 1:
        shown = ", ".join(f"{k} ({p.name})" for k, p in kinds.items())
        raise ValueError(
            f"`path_or_glob` mixes formats: {shown}; scan one format at a time (a glob or "
            "format='parquet'/'jsonl')."
        )
    return next(iter(kinds))


@contextmanager
def reading(path: str | None, fmt: str) -> Iterator[None]:
    """Turn pyarrow's read errors into TraceFormatError naming the file (and field, if known)."""
    import pyarrow as pa

    try:
        yield
    except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError) as exc:
        text = str(exc)
        field = re.search(r"Column\((/[^)]*)\)", text)
        raise TraceFormatError(
            TraceError(
                file=path,
                field=field.group(1).strip("/").replace("/", ".") if field else None,
                message=text.splitlines()[0] if text else type(exc).__name__,
                format=fmt,
            )
        ) from exc


def _check_parquet(path: Path) -> None:
    """Fail fast, naming the file, when it is not Parquet (magic bytes at both ends)."""
    with path.open("rb") as fh:
        head = fh.read(4)
        size = fh.seek(0, os.SEEK_END)
        fh.seek(max(size - 4, 0))
        tail = fh.read(4)
    if size < 12 or head != b"PAR1" or tail != b"PAR1":
        raise TraceFormatError(
            TraceError(
                file=str(path),
                message="not a Parquet file (missing the PAR1 magic bytes)",
                format="parquet",
            )
        )


# --------------------------------------------------------------------------------------- sources
@dataclass(frozen=True, slots=True)
class ScanFile:
    rank: int
    name: str  # path relative to the scan root, '/'-separated: the file's identity for sampling
    path: str
    fragment: ds.Fragment  # read with the logical schema: row-group statistics prune here
    read_fragment: ds.Fragment  # read with dictionaries: rows are scanned from here


@dataclass(frozen=True, slots=True)
class Source:
    dataset: ds.Dataset  # the files with their logical schema (what users see)
    read_schema: pa.Schema  # the same, with low-cardinality text read as dictionaries
    files: tuple[ScanFile, ...]
    fmt: str

    @classmethod
    def open(cls, files: list[Path], root: Path, fmt: str) -> Source:
        import pyarrow.dataset as ds
        import pyarrow.fs as pafs

        if fmt == "parquet":
            for path in files:
                _check_parquet(path)
        paths = [str(p) for p in files]
        fs = pafs.LocalFileSystem()

        def factory(ps: list[str], file_format: ds.FileFormat) -> ds.FileSystemDatasetFactory:
            return ds.FileSystemDatasetFactory(fs, ps, file_format, ds.FileSystemFactoryOptions())

        plain = ds.ParquetFileFormat() if fmt == "parquet" else ds.JsonFileFormat()
        schema = None
        for one_path in paths:  # unify file by file so a clash names its file
            with reading(one_path, fmt):
                one = factory([one_path], plain).inspect()
                schema = one if schema is None else _unify(schema, one, one_path, fmt)
        assert schema is not None
        dataset = factory(paths, plain).finish(schema)
        read_format, read_schema = plain, schema
        if fmt == "parquet":
            dict_cols = _dictionary_columns(paths[0], schema)
            if dict_cols:
                read_format = ds.ParquetFileFormat(
                    read_options=ds.ParquetReadOptions(dictionary_columns=dict_cols)
                )
                for name in dict_cols:
                    i = read_schema.get_field_index(name)
                    field = read_schema.field(i)
                    read_schema = read_schema.set(i, field.with_type(pa_dictionary(field.type)))
        with reading(None, fmt):
            read = factory(paths, read_format).finish(read_schema)
        by_path = {frag.path: frag for frag in dataset.get_fragments()}
        read_by_path = {frag.path: frag for frag in read.get_fragments()}
        named = sorted((Path(os.path.relpath(p, root)).as_posix(), p) for p in paths)
        return cls(
            dataset=dataset,
            read_schema=read_schema,
            files=tuple(
                ScanFile(
                    rank=i,
                    name=name,
                    path=p,
                    fragment=by_path[p],
                    read_fragment=read_by_path[p],
                )
                for i, (name, p) in enumerate(named)
            ),
            fmt=fmt,
        )

    @property
    def schema(self) -> pa.Schema:
        return self.dataset.schema

    def projected_schema(self, cols: list[str]) -> pa.Schema:
        """The read schema of ``cols`` (dictionary types where the files are read as such)."""
        import pyarrow as pa

        return pa.schema([self.read_schema.field(c) for c in cols])

    def units(
        self, flt: pc.Expression | None
    ) -> Iterator[tuple[ScanFile, ds.Fragment, int | None]]:
        """Yield (file, fragment, row group id) for every file, in file-name order."""
        for f in self.files:
            yield from self.units_of(f, flt)

    def units_of(
        self, f: ScanFile, flt: pc.Expression | None
    ) -> Iterator[tuple[ScanFile, ds.Fragment, int | None]]:
        """Yield one file's reading units: Parquet row groups or the whole JSONL file.

        Row groups whose statistics rule ``flt`` out are skipped: the pushdown.
        """
        if self.fmt == "parquet":
            with reading(f.path, self.fmt):
                # Statistics only prune with the logical types (not with dictionary reads).
                keep = {
                    p.row_groups[0].id
                    for p in f.fragment.split_by_row_group(flt, schema=self.schema)
                }
                parts = f.read_fragment.split_by_row_group()
            for part in parts:
                if part.row_groups[0].id in keep:
                    yield f, part, part.row_groups[0].id
        else:
            yield f, f.read_fragment, None

    def batches(
        self,
        f: ScanFile,
        fragment: ds.Fragment,
        columns: list[str],
        flt: pc.Expression | None,
        batch_size: int,
    ) -> Iterator[pa.RecordBatch]:
        """Yield the fragment's rows that pass ``flt``, in file order (errors name the file)."""
        with reading(f.path, self.fmt):
            yield from fragment.to_batches(
                schema=self.read_schema,
                columns=columns,
                filter=flt,
                batch_size=batch_size,
                batch_readahead=2,
            )


def pa_dictionary(value_type: pa.DataType) -> pa.DataType:
    import pyarrow as pa

    return pa.dictionary(pa.int32(), value_type)


def _dictionary_columns(path: str, schema: pa.Schema) -> list[str]:
    """Text columns worth reading as dictionaries: few distinct values in the first row group.

    Parquet stores such columns dictionary-encoded; reading them as Arrow dictionaries skips
    materialising one string per row, which makes full scans several times faster.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    text = [
        f.name for f in schema if pa.types.is_string(f.type) or pa.types.is_large_string(f.type)
    ]
    with reading(path, "parquet"):
        pf = pq.ParquetFile(path, read_dictionary=text)
        if not text or pf.metadata.num_row_groups == 0:
            return []
        present = [c for c in text if c in pf.schema_arrow.names]
        group = pf.read_row_group(0, columns=present)
    out = []
    for name in present:
        col = group.column(name)
        if not pa.types.is_dictionary(col.type):
            continue
        distinct = max((len(chunk.dictionary) for chunk in col.chunks), default=0)
        if distinct <= 0.5 * max(len(col) - col.null_count, 1):
            out.append(name)
    return out


def _unify(a: pa.Schema, b: pa.Schema, path: str, fmt: str) -> pa.Schema:
    import pyarrow as pa

    try:
        return pa.unify_schemas([a, b], promote_options="permissive")
    except (pa.ArrowInvalid, pa.ArrowTypeError) as exc:
        raise TraceFormatError(
            TraceError(
                file=path,
                message=f"its columns clash with the earlier files': {exc}",
                format=fmt,
            )
        ) from exc
