"""Read Hugging Face ``datasets`` objects and ``save_to_disk`` folders (never the Hub).

Recognised layouts (after the optional ``columns=`` rename): ``messages`` (chat messages),
``conversations`` (ShareGPT ``{from, value}``), ``prompt`` + ``completion`` (strings or message
lists, as in TRL), ``instruction`` + ``output`` (Alpaca) and ``input`` + ``output``. An ``id`` or
``trace_id`` column gives the trace id verbatim; otherwise a content hash. Other columns go to
``metadata``; a ``DatasetDict`` gives every split, with the split name in ``metadata["split"]``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from evalkit.traces._base import ErrorSink
from evalkit.traces._common_messages import parse_message, text_message
from evalkit.traces._common_rows import Ctx, RecordSkipped, is_missing, plain, too_deep
from evalkit.traces._repeats import Repeats
from evalkit.traces._tabular import check_columns, flat_row

NAME = "hf"
_LAYOUTS = (
    "`messages`, `conversations`, `prompt` + `completion`, `instruction` + `output` "
    "or `input` + `output`"
)


def sniff(path: Path, head: bytes) -> bool:
    """A ``save_to_disk`` folder: ``dataset_dict.json``, or ``state.json``+``dataset_info.json``."""
    p = Path(path)
    if not p.is_dir():
        return False
    return (p / "dataset_dict.json").is_file() or (
        (p / "state.json").is_file() and (p / "dataset_info.json").is_file()
    )


def read(
    path: Path, *, sink: ErrorSink, columns: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """Read a folder written by ``Dataset.save_to_disk`` / ``DatasetDict.save_to_disk``."""
    mapping = check_columns(columns)
    ctx = Ctx(sink=sink, fmt=NAME, file=str(path))
    try:
        if not sniff(Path(path), b""):
            ctx.fail(
                "not a `save_to_disk` folder "
                "(no dataset_dict.json, or state.json + dataset_info.json)"
            )
        import datasets

        try:
            ds = datasets.load_from_disk(str(path))  # local files only: never the Hub
        except Exception as exc:
            ctx.fail(f"cannot load the dataset folder: {type(exc).__name__}: {exc}")
    except RecordSkipped:
        return []
    return _read(ctx, ds, mapping)


def read_dataset(
    ds: Any, *, sink: ErrorSink, columns: Mapping[str, str] | None = None
) -> list[dict[str, Any]]:
    """Read an in-memory ``datasets.Dataset`` or ``datasets.DatasetDict``."""
    mapping = check_columns(columns)
    return _read(Ctx(sink=sink, fmt=NAME, file=None), ds, mapping)


def _read(ctx: Ctx, ds: Any, mapping: Mapping[str, str]) -> list[dict[str, Any]]:
    if isinstance(ds, Mapping):  # DatasetDict
        rows: list[dict[str, Any]] = []
        for split, part in ds.items():
            rows += _read_split(ctx, part, mapping, split=str(split))
        return rows
    if not hasattr(ds, "column_names"):
        raise TypeError(f"expected a datasets.Dataset or DatasetDict; got {type(ds).__name__}")
    return _read_split(ctx, ds, mapping, split=None)


def _read_split(
    ctx: Ctx, ds: Any, mapping: Mapping[str, str], *, split: str | None
) -> list[dict[str, Any]]:
    columns = ds.column_names
    if columns is None:  # an IterableDataset without known features: look at the first example
        first = next(iter(ds), None)
        columns = list(first) if isinstance(first, Mapping) else []
    names = [mapping.get(c, c) for c in columns]
    where = f" (split {split!r})" if split else ""
    missing = [c for c in mapping if c not in columns]
    try:
        if missing:
            ctx.fail(
                f"`columns` names {missing} but the dataset{where} has {columns}",
                field=missing[0],
            )
        layout = _layout(set(names))
        if layout is None:
            ctx.fail(
                f"no {_LAYOUTS} columns in the dataset{where}; columns are {columns}",
                field="messages",
            )
    except RecordSkipped:
        return []
    extra = {"split": split} if split else None
    rows: list[dict[str, Any]] = []
    seen = Repeats()
    for i, raw in enumerate(ds):
        line = i + 1
        rec = {mapping.get(k, k): plain(v) for k, v in raw.items()}
        try:
            rows.append(
                flat_row(
                    ctx,
                    _to_flat(ctx, rec, layout, line, split),
                    line=line,
                    extra_metadata=extra,
                    seen_hash=seen,
                )
            )
        except RecordSkipped:
            continue
        except RecursionError:
            too_deep(ctx, line)
    seen.warn(ctx.file or "the dataset", unit="row", stacklevel=3)
    return rows


def _layout(cols: set[str]) -> str | None:
    if "messages" in cols:
        return "messages"
    if "conversations" in cols:
        return "conversations"
    if {"prompt", "completion"} <= cols:
        return "prompt_completion"
    if {"instruction", "output"} <= cols:
        return "alpaca"
    if "output" in cols:
        return "input_output"
    return None


def _to_flat(
    ctx: Ctx, rec: dict[str, Any], layout: str, line: int, split: str | None
) -> dict[str, Any]:
    out = dict(rec)
    if "trace_id" not in out and "id" in out and not is_missing(out["id"]):
        out["trace_id"] = out.pop("id")
    if layout == "conversations":
        out["messages"] = out.pop("conversations")
    elif layout == "prompt_completion":
        prompt, completion = out.pop("prompt"), out.pop("completion")
        if isinstance(prompt, list) or isinstance(completion, list):
            msgs = _as_messages(ctx, prompt, "user", "prompt", line) + _as_messages(
                ctx, completion, "assistant", "completion", line
            )
            out["messages"] = msgs
        else:
            out["input"], out["output"] = prompt, completion
    elif layout == "alpaca":
        instruction, extra_input = out.pop("instruction"), out.pop("input", None)
        out["input"] = f"{instruction}\n\n{extra_input}" if extra_input else instruction
    return out


def _as_messages(ctx: Ctx, value: Any, role: str, field: str, line: int) -> list[dict[str, Any]]:
    if isinstance(value, list):
        bad = [j for j, m in enumerate(value) if not isinstance(m, Mapping)]
        if bad:
            ctx.fail(
                f"expected a list of messages; item {bad[0]} is {type(value[bad[0]]).__name__}",
                line=line,
                field=f"{field}[{bad[0]}]",
            )
        return [parse_message(m) for m in value]
    return [] if is_missing(value) else [text_message(role, str(value))]
