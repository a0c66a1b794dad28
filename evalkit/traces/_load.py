"""``load_traces``: resolve a source into files, detect formats, read, concatenate, check ids."""

from __future__ import annotations

import glob as _glob
import importlib
import inspect
import os
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Any, Literal, overload

from evalkit.errors import EvalkitError, TraceError
from evalkit.traces import _guards
from evalkit.traces._base import ErrorMode, ErrorSink

if TYPE_CHECKING:
    import pandas as pd

#: format name -> module implementing ``NAME``, ``sniff`` and ``read``. Detection tries them in
#: this order, so the stricter sniffers come first. Modules are imported only when needed.
_FORMATS: dict[str, str] = {
    "openinference": "evalkit.traces._openinference",
    "otel_genai": "evalkit.traces._otel_genai",
    "openai": "evalkit.traces._openai",
    "langfuse": "evalkit.traces._langfuse",
    "langsmith": "evalkit.traces._langsmith",
    "inspect": "evalkit.traces._inspect",
    "json": "evalkit.traces._generic_json",  # any other JSON / JSON Lines records
    "csv": "evalkit.traces._tabular",
    "parquet": "evalkit.traces._tabular",
    "hf": "evalkit.traces._hf",
}
FORMAT_NAMES: tuple[str, ...] = tuple(_FORMATS)
_HEAD_BYTES = 64 * 1024
_HF_MARKERS = ("dataset_info.json", "state.json", "dataset_dict.json")
_GLOB_CHARS = frozenset("*?[")
_A_READER_RAN = "\0a reader ran"  # marks the ``used`` options set once any reader was called

Source = Any  # str | os.PathLike | list | pandas.DataFrame | datasets.Dataset


def _module(name: str) -> ModuleType | None:
    """Import a reader module lazily; ``None`` if that reader is not installed in this build."""
    path = _FORMATS[name]
    try:
        return importlib.import_module(path)
    except ModuleNotFoundError as exc:
        if exc.name == path:
            return None
        raise


def _allowed() -> str:
    return ", ".join(repr(n) for n in ("auto", *FORMAT_NAMES))


def _check_args(format: str, errors: str) -> None:
    if not isinstance(format, str) or (format != "auto" and format not in _FORMATS):
        raise ValueError(f"`format` must be one of {_allowed()}; got {format!r}.")
    if errors not in ("raise", "collect", "warn"):
        raise ValueError(f"`errors` must be one of 'raise', 'collect', 'warn'; got {errors!r}.")


def _is_hidden(path: Path) -> bool:
    return path.name.startswith(".")


def _is_hf_folder(path: Path) -> bool:
    return any((path / marker).is_file() for marker in _HF_MARKERS)


def _expand(source: Any, sink: ErrorSink) -> Iterator[Any]:
    """Flatten a source into in-memory objects and file/folder paths, in a stable order.

    Folders are walked by :func:`evalkit.traces._guards.walk`: broken links, link loops and
    empty folders are reported to ``sink``.
    """
    if isinstance(source, (list, tuple)):
        for item in source:
            yield from _expand(item, sink)
        return
    if isinstance(source, (str, os.PathLike)):
        path = Path(source)
        if path.is_dir():
            yield from _guards.walk(path, sink, _is_hf_folder, _is_hidden)
            return
        if path.exists():
            yield path
            return
        if path.is_symlink():  # a link to nothing, or a loop: reported like one inside a folder
            problem = _guards.link_problem(path)
            if problem is not None:
                sink.add(TraceError(file=str(path), message=problem))
                return
        text = os.fspath(source)
        if _GLOB_CHARS.intersection(text):
            matches = sorted(_glob.glob(text, recursive=True))
            if not matches:
                raise FileNotFoundError(f"`source` glob {text!r} matched no files.")
            for match in matches:
                if not _is_hidden(Path(match)):
                    yield from _expand(Path(match), sink)
            return
        raise FileNotFoundError(f"`source` {text!r} does not exist.")
    yield source


def _kind_of_object(obj: Any) -> str | None:
    mod = type(obj).__module__ or ""
    if mod.startswith("pandas") and type(obj).__name__ == "DataFrame":
        return "frame"
    if mod.startswith("datasets") and type(obj).__name__ in {
        "Dataset",
        "DatasetDict",
        "IterableDataset",
        "IterableDatasetDict",
    }:
        return "dataset"
    return None


def _read_head(path: Path) -> bytes:
    with open(path, "rb") as fh:
        return fh.read(_HEAD_BYTES)


def detect_format(path: Path, head: bytes | None = None) -> str | None:
    r"""Return the first format whose ``sniff`` accepts ``path``, or ``None``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "chat.jsonl"
    >>> _ = p.write_text('{"messages": [{"role": "user", "content": "hi"}]}\n')
    >>> detect_format(p)
    'openai'
    """
    if path.is_dir():
        return "hf" if _is_hf_folder(path) else None
    if head is None:
        head = _read_head(path)
    for name in FORMAT_NAMES:
        module = _module(name)
        if module is not None and module.sniff(path, head):
            return name
    return None


def _call(fn: Any, target: Any, sink: ErrorSink, options: dict[str, Any], used: set[str]) -> Any:
    """Call a reader with the options it declares; remember which options were consumed."""
    params = inspect.signature(fn).parameters
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    accepted = {k: v for k, v in options.items() if takes_any or k in params}
    used.update(accepted)
    used.add(_A_READER_RAN)
    return fn(target, sink=sink, **accepted)


def _read_file(
    path: Path, fmt: str, sink: ErrorSink, options: dict[str, Any], used: set[str]
) -> Any:
    if not path.is_dir():
        problem = _guards.not_regular(path)
        if problem is None:
            head = _read_head(path)
            problem = _guards.wide_encoding(head)
        if problem is not None:
            sink.add(TraceError(file=str(path), message=problem, format=_fmt_or_none(fmt)))
            return None
        if not head.strip(b" \t\r\n\xef\xbb\xbf") and path.stat().st_size <= len(head):
            sink.add(
                TraceError(
                    file=str(path),
                    message="the file is empty: no traces in it",
                    format=None if fmt == "auto" else fmt,
                )
            )
            return None
    else:
        head = b""
        if fmt not in ("auto", "hf"):
            sink.add(
                TraceError(
                    file=str(path),
                    message=f"a saved Hugging Face dataset folder cannot be read as {fmt!r}; "
                    "use format='hf' or 'auto'",
                    format=fmt,
                )
            )
            return None
    name = fmt
    if fmt == "auto":
        detected = detect_format(path, head)
        if detected is None:
            sink.add(
                TraceError(
                    file=str(path),
                    message=(
                        "unrecognised trace file: no reader detected its format; pass "
                        f"`format=` (one of {', '.join(repr(n) for n in FORMAT_NAMES)}) "
                        "or move the file out of the folder"
                    ),
                )
            )
            return None
        name = detected
    module = _module(name)
    if module is None:
        raise ModuleNotFoundError(f"the {name!r} trace reader ({_FORMATS[name]}) is not available")
    return _call(module.read, path, sink, options, used)


def _fmt_or_none(fmt: str) -> str | None:
    return None if fmt == "auto" else fmt


def _read_file_guarded(
    path: Path, fmt: str, sink: ErrorSink, options: dict[str, Any], used: set[str]
) -> Any:
    """:func:`_read_file`; an unexpected reader failure becomes a typed error naming the file.

    Readers report problems record by record; this is the last line for what they did not foresee
    (a huge integer, an encoding error deep inside a library...), so that ``errors="collect"``
    never aborts and ``errors="raise"`` always raises :class:`evalkit.TraceFormatError`.
    """
    try:
        return _read_file(path, fmt, sink, options, used)
    except (EvalkitError, ImportError, MemoryError):
        raise
    except Exception as exc:  # turned into a typed error naming the file
        sink.add(
            TraceError(
                file=str(path),
                message=f"the file could not be read ({type(exc).__name__}: {exc}); "
                "none of its rows were loaded",
                format=_fmt_or_none(fmt),
            )
        )
        return None


def _read_object(
    obj: Any, kind: str, fmt: str, sink: ErrorSink, options: dict[str, Any], used: set[str]
) -> Any:
    if kind == "frame":
        if fmt not in ("auto", "csv", "parquet"):
            raise ValueError(f"`format` must be 'auto' for a DataFrame source; got {fmt!r}.")
        module = importlib.import_module(_FORMATS["csv"])
        return _call(module.read_frame, obj, sink, options, used)
    if fmt not in ("auto", "hf"):
        raise ValueError(f"`format` must be 'auto' or 'hf' for a datasets source; got {fmt!r}.")
    module = importlib.import_module(_FORMATS["hf"])
    return _call(module.read_dataset, obj, sink, options, used)


@overload
def load_traces(
    source: Source, *, format: str = ..., errors: Literal["raise", "warn"] = ..., **options: Any
) -> pd.DataFrame: ...
@overload
def load_traces(
    source: Source, *, format: str = ..., errors: Literal["collect"], **options: Any
) -> tuple[pd.DataFrame, list[TraceError]]: ...


def load_traces(
    source: Source, *, format: str = "auto", errors: ErrorMode = "raise", **options: Any
) -> pd.DataFrame | tuple[pd.DataFrame, list[TraceError]]:
    r"""Load traces from files, folders, globs or in-memory tables into one canonical frame.

    Parameters
    ----------
    source : str, os.PathLike, list, pandas.DataFrame or datasets.Dataset
        A trace file; a folder (every non-hidden file inside, recursively, in sorted order; a
        folder written by ``Dataset.save_to_disk`` is read as one Hugging Face dataset); a glob
        such as ``"logs/*.jsonl"``; a list of any of these; a DataFrame (read by the tabular
        reader, see ``columns=``) or a ``datasets.Dataset``/``DatasetDict``.
    format : str, default "auto"
        ``"auto"`` detects each file's format from its name and first bytes. Otherwise one of
        ``"openinference"``, ``"otel_genai"``, ``"openai"``, ``"langfuse"``, ``"langsmith"``,
        ``"inspect"``, ``"json"`` (generic JSON records), ``"csv"``, ``"parquet"``, ``"hf"``,
        applied to every file.
    errors : {"raise", "collect", "warn"}, default "raise"
        ``"raise"`` stops at the first problem with a :class:`evalkit.TraceFormatError` naming
        the file, line (or span) and field. ``"collect"`` skips just the bad records and returns
        the problems as typed :class:`evalkit.TraceError` records beside the good rows.
        ``"warn"`` returns the frame alone and issues one
        :class:`evalkit.errors.TraceProblemWarning` per problem (naming file, line and field;
        after 20, one summary warning counts the rest). Under ``"warn"`` a record whose problem
        leaves it readable is **kept**: an unknown message role stays as written, and an
        infinite, negative or too-large latency, token count or cost becomes null. A record
        that cannot be read at all (invalid JSON, a missing required field, a duplicate id, text
        that is not valid Unicode) is skipped, as under ``"collect"``.
    **options
        Reader options passed to the readers that accept them. An option no reader used raises
        ``TypeError``. ``columns=`` (your field -> canonical column) is accepted by every
        reader: column names for CSV/Parquet/DataFrames, dotted paths into the records
        (``{"response.messages": "messages", "metadata.lsmith_id": "trace_id"}``) for generic
        JSON and OpenAI JSONL, and for the span and run formats paths into the trace's root
        (the Langfuse trace object, the LangSmith root run, the Inspect sample then the log
        header, the root OTLP span with ``name``, ``attributes.<key>``, ``resource.<key>``),
        then into its other spans/runs in order (:mod:`evalkit.traces._columns`). A path a
        trace does not have is a :class:`evalkit.TraceError` naming it.

    Returns
    -------
    pandas.DataFrame or (pandas.DataFrame, list of TraceError)
        One row per trace with exactly the columns of
        :data:`evalkit.traces.schema.CANONICAL_COLUMNS` (see
        :func:`evalkit.traces.schema.describe_columns`). ``trace_id`` is the format's native id,
        else a stable content hash; ``source`` is ``{format, file, line, span_id}``.

    Raises
    ------
    ValueError
        If ``format`` or ``errors`` is not an allowed value.
    FileNotFoundError
        If a path does not exist or a glob matches nothing.
    evalkit.TraceFormatError
        In ``errors="raise"`` mode: unreadable, malformed, empty or unrecognised files, and
        duplicate trace ids (the message names both occurrences). Also hostile input (see
        :mod:`evalkit.traces._guards`): broken or looping symbolic links, pipes and devices,
        empty folders, UTF-16/UTF-32 files, duplicate JSON keys, infinite or negative latency,
        tokens or cost, token counts beyond int64, and text that is not valid Unicode. In
        ``errors="collect"`` mode each of these is a :class:`evalkit.TraceError` and the load
        goes on.

    Notes
    -----
    Formats read here (the others are documented in their modules):

    * ``openai``: chat JSON Lines, one trace per line: fine-tuning ``{"messages", "tools"}``,
      Batch API input/output lines (``trace_id`` = ``custom_id``) and request/response log pairs
      ``{"request", "response"}`` (``trace_id`` = the completion ``id``). Log-pair files take a
      vectorised pyarrow path; anything it does not fully understand is read line by line.
    * ``otel_genai``: OTLP JSON (or OTLP JSON Lines) spans with the OpenTelemetry GenAI
      conventions, current (``gen_ai.input.messages`` ...) and older (``gen_ai.prompt.N.*``,
      span events); ``trace_id`` = ``traceId``; ``latency_ms`` = the root span's duration.
    * ``openinference``: OTLP JSON with OpenInference attributes, or Phoenix's span frame
      (``get_spans_dataframe()``) saved as Parquet.

    ``output`` is the content of the last assistant message and ``input`` the last user text
    before it. Where a format has no native id (fine-tuning lines), ``trace_id`` is a content hash
    (``openai-<16 hex>``) of the record, stable across reloads.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "chat.jsonl").write_text(
    ...     '{"messages": [{"role": "user", "content": "Hi"},'
    ...     ' {"role": "assistant", "content": "Hello!"}]}\n'
    ... )
    >>> df = load_traces(folder)
    >>> df.loc[0, ["input", "output"]].tolist()
    ['Hi', 'Hello!']
    >>> df.loc[0, "source"]["format"], df.loc[0, "source"]["line"]
    ('openai', 1)
    >>> _ = (folder / "broken.jsonl").write_text('{"messages": [\n')
    >>> df, problems = load_traces(folder, errors="collect")
    >>> len(df), problems[0].line, problems[0].file.endswith("broken.jsonl")
    (1, 1, True)
    """
    _check_args(format, errors)
    from evalkit.traces import schema
    from evalkit.traces._otlp_logs import joined_logs
    from evalkit.traces._roles import check_roles
    from evalkit.traces._tabular import check_options

    check_options(options)  # argument errors stay ValueError/TypeError, whatever the files hold
    sink = ErrorSink(mode=errors)
    used: set[str] = set()
    frames: list[pd.DataFrame] = []
    # OTLP logs files are read first and joined to the spans of the other files (issue 10)
    with joined_logs(list(_expand(source, sink)), format, sink) as items:
        for item in items:
            kind = _kind_of_object(item)
            if kind is not None:
                result = _read_object(item, kind, format, sink, options, used)
            elif isinstance(item, Path):
                result = _read_file_guarded(item, format, sink, options, used)
            else:
                raise TypeError(
                    "`source` must be a path, folder, glob, list, pandas.DataFrame or "
                    f"datasets.Dataset; got {type(item).__name__}."
                )
            if result is None:
                continue
            try:
                frame = _guards.conform(result, sink, schema)
            except (UnicodeError, OverflowError, ValueError, TypeError) as exc:
                if isinstance(exc, EvalkitError):
                    raise
                sink.add(
                    TraceError(
                        file=str(item) if isinstance(item, Path) else None,
                        message=f"the rows could not be stored ({type(exc).__name__}: {exc})",
                        format=_fmt_or_none(format),
                    )
                )
                continue
            frame = check_roles(frame, sink)  # one role table (_roles.py)
            if len(frame):
                frames.append(frame)
    unused = sorted(set(options) - used)
    if unused and _A_READER_RAN in used:  # files no reader took are reported already
        raise TypeError(f"load_traces() got option(s) no reader accepts: {', '.join(unused)}.")
    frame = schema.concat(frames)
    from evalkit.traces._openai_batch import join_batch_pairs

    frame = join_batch_pairs(frame)  # one trace per Batch custom_id (input + output files)
    frame = _check_ids(frame, sink)
    from evalkit.traces._report import warn_no_output

    warn_no_output(frame)
    sink.finish()
    if errors == "collect":
        return frame, list(sink.errors)
    return frame


def _where(src: Any) -> tuple[str | None, int | None, str | None]:
    if not isinstance(src, dict):
        return None, None, None
    line = src.get("line")
    return src.get("file"), int(line) if line is not None else None, src.get("span_id")


def _surely_distinct(ids: pd.Series) -> bool:
    """True if the Arrow-backed ``ids`` have no null and are all different (fingerprints)."""
    from evalkit.traces._fingerprint import fingerprints, surely_distinct

    to_arrow = getattr(ids.array, "__arrow_array__", None)  # Arrow-backed: no copy
    return to_arrow is not None and surely_distinct([fingerprints(to_arrow())])


def _check_ids(frame: pd.DataFrame, sink: ErrorSink) -> pd.DataFrame:
    """Report missing and duplicate trace ids with both locations; drop them in collect mode."""
    if frame.empty:
        return frame
    ids = frame["trace_id"]
    if _surely_distinct(ids):  # the common case, without hashing every id
        return frame
    bad = ids.isna() | ids.duplicated(keep="first")
    if not bad.any():
        return frame
    first_at: dict[Any, int] = {}
    positions = bad.to_numpy().nonzero()[0]
    dup_ids = set(ids.iloc[positions].dropna())
    for at, tid in enumerate(ids.tolist()):
        if tid in dup_ids and tid not in first_at:
            first_at[tid] = at
    sources = frame["source"]
    for pos in positions:
        tid = ids.iloc[pos]
        file, line, span = _where(sources.iloc[pos])
        fmt = sources.iloc[pos].get("format") if isinstance(sources.iloc[pos], dict) else None
        if tid is None or tid is getattr(ids, "_na_value", None) or ids.isna().iloc[pos]:
            message = "trace has no trace_id"
        else:
            f1, l1, s1 = _where(sources.iloc[first_at[tid]])
            where1 = f"{f1 or '<memory>'}" + (f":{l1}" if l1 is not None else "")
            where1 += f", span {s1}" if s1 else ""
            message = f"duplicate trace_id {tid!r}: first seen at {where1}"
        sink.add(
            TraceError(
                file=file, line=line, span_id=span, field="trace_id", message=message, format=fmt
            )
        )
    return frame.loc[~bad.to_numpy()].reset_index(drop=True)
