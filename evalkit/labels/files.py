"""Read every label file shape the project knows: the one ``read_labels``.

Accepted shapes (CSV, Parquet or JSONL):

* simple: ``trace_id, verdict`` (optionally ``score``), one row per trace;
* long human labels: ``trace_id, annotator, verdict, ...`` (``data/labels/human.csv``): pick one
  annotator or ``annotator="majority"``;
* long judge verdicts: ``trace_id, judge, verdict, score, ...`` (``data/labels/judges.csv``):
  pick one judge;
* a label-store export (``LabelStore.export``): long rows ``trace_id, annotator, field, value,
  ...``; the verdict is the row with ``field == "verdict"``, the latest per trace and annotator
  wins, ``"defer"`` verdicts are dropped and counted.

Every problem raises :class:`LabelFileError` naming the file, the line and the field.
Alignment of two verdict sets lives in :mod:`evalkit.labels.align`.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import pandas as pd

from evalkit.errors import EvalkitError
from evalkit.labels._export import read_export
from evalkit.labels._fields import InvalidLabelError
from evalkit.labels.verdicts import is_vocabulary, normalize_verdicts


class LabelFileError(EvalkitError, ValueError):
    """A label file could not be read; the message names the file, line and field."""

    def __init__(
        self, message: str, *, file: str | None = None, line: int | None = None,
        field: str | None = None,
    ) -> None:
        self.file, self.line, self.field = file, line, field
        where = file or "<memory>"
        if line is not None:
            where += f":{line}"
        if field is not None:
            where += f", field {field!r}"
        super().__init__(f"{where}: {message}")


@dataclass(frozen=True, slots=True, kw_only=True)
class LabelFile:
    """Labels read from a file: every row as read, and one verdict per trace.

    Attributes
    ----------
    rows : DataFrame
        Every row of the file as read. A label-store export comes back in the
        :meth:`LabelStore.labels <evalkit.labels.LabelStore.labels>` shape with the built-in
        fields' values typed (``'2'`` -> ``2``, ``'["a"]'`` -> ``['a']``), ready for
        :meth:`LabelStore.record_many <evalkit.labels.LabelStore.record_many>`.
    frame : DataFrame
        One row per trace: ``trace_id``, ``verdict`` and, when present, ``score`` and
        ``segment``, for the annotator or judge selected. Reading it raises
        :class:`LabelFileError` when the file holds several annotators or judges and none was
        chosen.
    path : str
    kind : str
        ``'simple'``, ``'human-long'``, ``'judges-long'`` or ``'store-export'``.
    n_deferred : int
        Verdicts dropped because they were ``"defer"`` (store exports) or majority ties.
    source : str or None
        The annotator or judge selected, or ``'majority'``.
    model : str or None
        The judge model named in the file (``judge_model`` column), if any.
    """

    rows: pd.DataFrame
    path: str
    kind: str
    n_deferred: int = 0
    source: str | None = None
    model: str | None = None
    verdicts: pd.DataFrame | None = field(default=None, repr=False)
    problem: LabelFileError | None = field(default=None, repr=False)

    @property
    def frame(self) -> pd.DataFrame:
        """One verdict per trace (see the class docstring)."""
        if self.verdicts is None:
            assert self.problem is not None
            raise self.problem
        return self.verdicts


_SUFFIXES = {"csv": ".csv", "parquet": ".parquet", "jsonl": ".jsonl"}


def _read_table(path: Path, format: str | None = None) -> tuple[pd.DataFrame, int]:
    """Return the raw table and the line number of its first data row."""
    if format is not None and format not in _SUFFIXES:
        raise LabelFileError(
            f"`format` must be one of 'csv', 'parquet', 'jsonl'; got {format!r}.", file=str(path)
        )
    suffix = _SUFFIXES[format] if format else "".join(path.suffixes[-1:]).lower()
    if not path.is_file():
        raise LabelFileError("file not found.", file=str(path))
    try:
        if suffix == ".csv":
            # the python engine keeps NUL characters (the C engine cuts the cell there)
            return pd.read_csv(
                path, dtype={"trace_id": str}, keep_default_na=True, engine="python"
            ), 2
        if suffix in (".parquet", ".pq"):
            return pd.read_parquet(path), 1
        if suffix in (".jsonl", ".ndjson"):
            rows = []
            with path.open(encoding="utf-8") as f:
                for i, line in enumerate(f, start=1):
                    if not line.strip():
                        continue
                    try:
                        rec = json.loads(line)
                    except json.JSONDecodeError as e:
                        raise LabelFileError(
                            f"invalid JSON ({e.msg}).", file=str(path), line=i
                        ) from e
                    if not isinstance(rec, dict):
                        raise LabelFileError("each line must be a JSON object.", file=str(path),
                                             line=i)
                    rows.append(rec)
            df = pd.DataFrame(rows)
            if "trace_id" in df:
                df["trace_id"] = df["trace_id"].astype("string").astype(object)
            return df, 1
    except LabelFileError:
        raise
    except Exception as e:  # pandas/pyarrow parse errors: re-raise with the file named
        raise LabelFileError(f"could not parse file ({e}).", file=str(path)) from e
    raise LabelFileError(
        f"unsupported file type {suffix!r}; use .csv, .parquet or .jsonl.", file=str(path)
    )


def _require(df: pd.DataFrame, cols: tuple[str, ...], path: str) -> None:
    for c in cols:
        if c not in df.columns:
            raise LabelFileError(
                f"missing required column; found columns {list(df.columns)}.", file=path, field=c
            )


def _check_values(df: pd.DataFrame, col: str, path: str, first_line: int) -> None:
    bad = df[col].isna() | (df[col].astype(str).str.strip() == "")
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise LabelFileError(
            f"empty value ({int(bad.sum())} rows).", file=path, line=first_line + i, field=col
        )


def majority_verdicts(
    long: pd.DataFrame, *, rater: str = "annotator", value: str = "verdict"
) -> tuple[pd.DataFrame, int]:
    """Majority verdict per trace from long labels; ties are dropped and counted.

    Examples
    --------
    >>> df = pd.DataFrame({"trace_id": ["a", "a", "a", "b", "b"],
    ...                    "annotator": ["x", "y", "z", "x", "y"],
    ...                    "verdict": ["pass", "fail", "pass", "pass", "fail"]})
    >>> frame, n_ties = majority_verdicts(df)
    >>> frame.to_dict("list"), n_ties
    ({'trace_id': ['a'], 'verdict': ['pass']}, 1)
    """
    counts = pd.crosstab(long["trace_id"], long[value])
    top = counts.max(axis=1)
    n_top = (counts.eq(top, axis=0)).sum(axis=1)
    winners = counts.idxmax(axis=1)[n_top == 1]
    out = pd.DataFrame({"trace_id": winners.index.astype(str), "verdict": winners.to_numpy()})
    return out.reset_index(drop=True), int((n_top > 1).sum())


def read_labels(
    path: str | os.PathLike[str],
    *,
    annotator: str | None = None,
    judge: str | None = None,
    format: Literal["csv", "parquet", "jsonl"] | None = None,
    verdict_column: str = "verdict",
) -> LabelFile:
    r"""Read any label file: simple verdicts, long human or judge labels, or a store export.

    Parameters
    ----------
    path : str or os.PathLike
        CSV, Parquet or JSONL file.
    annotator : str, optional
        Which annotator to select from long human labels or a store export, or ``"majority"``
        for the per-trace majority verdict; needed for :attr:`LabelFile.frame` when there are
        several annotators.
    judge : str, optional
        Which judge to select from a long judge file (``judge`` column); needed for
        :attr:`LabelFile.frame` when the file holds several judges.
    format : {'csv', 'parquet', 'jsonl'}, optional
        Default: from the file's suffix.
    verdict_column : str, default 'verdict'
        The column that holds the verdict (``label``, ``human_verdict``...). Verdicts are read
        through the one vocabulary of :mod:`evalkit.labels.verdicts` (``PASS``, ``true``, ``1``
        mean pass); other spellings are stripped and lower-cased (compare with ``positive=``).

    Returns
    -------
    LabelFile
        ``.rows`` holds every row as read (a store export in the ``LabelStore.labels()`` shape,
        values typed); ``.frame`` one verdict per trace for the selection.

    Raises
    ------
    LabelFileError
        Unreadable file, missing columns, empty verdicts, duplicated trace ids, an unknown
        judge or annotator, or (when ``.frame`` is read) an ambiguous selection. The message
        names the file, line and field.

    Examples
    --------
    >>> import tempfile
    >>> path = Path(tempfile.mkdtemp()) / "human.csv"
    >>> _ = path.write_text("trace_id,annotator,verdict\n"
    ...                     "t1,ann,pass\nt1,bob,pass\nt2,ann,fail\nt2,bob,fail\n")
    >>> lf = read_labels(path, annotator="majority")
    >>> lf.kind, lf.frame.to_dict("list")
    ('human-long', {'trace_id': ['t1', 't2'], 'verdict': ['pass', 'fail']})
    >>> len(lf.rows), read_labels(path, annotator="bob").source
    (4, 'bob')
    """
    p = Path(os.fspath(path)).expanduser()
    spath = str(p)
    df, first = _read_table(p, format)
    _require(df, ("trace_id",), spath)
    if verdict_column != "verdict":
        _require(df, (verdict_column,), spath)
        df = df.drop(columns=["verdict"], errors="ignore").rename(
            columns={verdict_column: "verdict"}
        )
    _check_values(df, "trace_id", spath, first)
    rows = df
    if {"field", "value"} <= set(df.columns):  # a label-store export: type its values
        kind = "store-export"
        _require(df, ("annotator",), spath)
        try:
            # read again through the export reader: CSV must keep "NA"-like text as text
            rows = read_export(p, format=format)
        except InvalidLabelError as e:
            raise LabelFileError(str(e), file=spath) from e
    elif "judge" in df.columns:
        kind = "judges-long"
    elif "annotator" in df.columns:
        kind = "human-long"
    else:
        kind = "simple"
    try:
        verdicts, n_deferred, source, model = _verdicts(
            # a store export is read exactly (NUL kept, formula escapes undone) by read_export
            rows if kind == "store-export" else df, kind, first, spath,
            annotator=annotator, judge=judge,
        )
    except _AmbiguousSelection as e:
        return LabelFile(rows=rows, path=spath, kind=kind, problem=e)
    return LabelFile(rows=rows, path=spath, kind=kind, n_deferred=n_deferred, source=source,
                     model=model, verdicts=verdicts)


class _AmbiguousSelection(LabelFileError):
    """Several annotators or judges and none chosen: raised when ``LabelFile.frame`` is read."""


def _verdicts(
    df: pd.DataFrame, kind: str, first: int, spath: str, *,
    annotator: str | None, judge: str | None,
) -> tuple[pd.DataFrame, int, str | None, str | None]:
    """One verdict per trace for the selected annotator or judge."""
    df = df.copy()
    df["trace_id"] = df["trace_id"].astype(str)
    df["_line"] = np.arange(len(df)) + first
    n_deferred = 0
    source: str | None = None
    model: str | None = None

    if kind == "store-export":
        df = df[df["field"] == "verdict"].copy()
        if "undone" in df.columns:  # full-history export: undone events are not labels
            df = df[~df["undone"].astype(str).str.lower().isin(("true", "1"))]
        df["verdict"] = df["value"]
        if "created_at" in df.columns:
            df = df.sort_values(["created_at", "_line"], kind="stable")
        # last row per (trace, annotator); not groupby: pandas 2 factorizes object strings up to
        # the first NUL ('a\x00b' and 'a' would be one group)
        last = {k: i for i, k in enumerate(zip(df["trace_id"], df["annotator"], strict=True))}
        df = df.iloc[sorted(last.values())]
        deferred = df["verdict"].astype(str).str.lower() == "defer"
        n_deferred = int(deferred.sum())
        df = df[~deferred]
        df, source = _select(df, "annotator", annotator, spath, allow_majority=True)
    elif kind == "judges-long":
        df, source = _select(df, "judge", judge, spath, allow_majority=False)
        if "judge_model" in df.columns and df["judge_model"].notna().any():
            model = str(df["judge_model"].dropna().iloc[0])
    elif kind == "human-long":
        df, source = _select(df, "annotator", annotator, spath, allow_majority=True)

    if source == "majority":
        df, n_ties = majority_verdicts(df)
        n_deferred += n_ties
        df["_line"] = -1
    _require(df, ("verdict",), spath)
    _check_lines(df, spath)
    dup = df["trace_id"].duplicated(keep="first")
    if dup.any():
        row = df[dup].iloc[0]
        same = df["trace_id"] == row["trace_id"]
        raise LabelFileError(
            f"trace_id {row['trace_id']!r} appears {int(same.sum())} times among the selected "
            f"rows (first at line {int(df.loc[same, '_line'].iloc[0])}); give one verdict per "
            "trace (select --judge or --annotator).",
            file=spath,
            line=int(row["_line"]) if row["_line"] >= 0 else None,
            field="trace_id",
        )
    keep = [c for c in ("trace_id", "verdict", "score", "segment") if c in df.columns]
    out = df[keep].reset_index(drop=True)
    out["verdict"] = _vocabulary(out["verdict"])
    return out, n_deferred, source, model


def _vocabulary(verdicts: pd.Series) -> pd.Series:
    """Verdicts in the one vocabulary become 'pass'/'fail'; other spellings are lower-cased."""
    text = verdicts.astype(str).str.strip().str.lower()
    if is_vocabulary(text.unique()):
        return pd.Series(normalize_verdicts(text), index=verdicts.index, dtype=object)
    return text


def _check_lines(df: pd.DataFrame, path: str) -> None:
    bad = df["verdict"].isna() | (df["verdict"].astype(str).str.strip() == "")
    if bad.any():
        raise LabelFileError(
            f"empty value ({int(bad.sum())} rows).", file=path,
            line=int(df.loc[bad, "_line"].iloc[0]) if df.loc[bad, "_line"].iloc[0] >= 0 else None,
            field="verdict",
        )


def _select(
    df: pd.DataFrame, col: str, wanted: str | None, path: str, *, allow_majority: bool
) -> tuple[pd.DataFrame, str | None]:
    names = sorted(df[col].dropna().astype(str).unique())
    if wanted is None:
        if len(names) == 1:
            return df, names[0]
        extra = " or 'majority'" if allow_majority else ""
        raise _AmbiguousSelection(
            f"the file holds {len(names)} {col}s ({', '.join(names)}); choose one with "
            f"--{col}{extra}.", file=path, field=col,
        )
    if allow_majority and wanted == "majority":
        return df, "majority"
    if wanted not in names:
        raise LabelFileError(
            f"{col} {wanted!r} not found; available: {', '.join(names)}.", file=path, field=col
        )
    return df[df[col].astype(str) == wanted], wanted

