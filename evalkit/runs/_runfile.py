"""Read run files (CSV, Parquet, JSON Lines, ``evalkit check --out`` label files) and case lists.

A run file has one row per case: ``case_id`` or ``trace_id``, then ``verdict`` or ``score``, and
optionally ``segment``. A long label file (a ``judge`` column naming who gave each verdict, as
``evalkit check --out`` writes with ``judge = check:<name>``) is read for one judge. A case list
is a golden-set folder (:func:`evalkit.load_golden`, its active split) or any run-like file.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pandas as pd

from evalkit.runs._errors import RunFileError

_SUFFIXES = (".csv", ".parquet", ".jsonl", ".ndjson", ".json")


def _read_table(p: Path) -> pd.DataFrame:
    suffix = p.suffix.lower()
    if not p.exists():
        raise RunFileError(f"{p}: no such file.")
    if p.is_dir():
        raise RunFileError(f"{p}: is a folder; a run is one file ({', '.join(_SUFFIXES)}).")
    try:
        if suffix == ".csv":
            # ids and segments stay text ("007" is not 7); scores are converted later
            return pd.read_csv(p, dtype=str, keep_default_na=False, na_values=[""])
        if suffix == ".parquet":
            return pd.read_parquet(p)
        if suffix in (".jsonl", ".ndjson"):
            return _read_jsonl(p)
        if suffix == ".json":
            return pd.DataFrame(json.loads(p.read_text(encoding="utf-8")))
    except RunFileError:
        raise
    except Exception as err:
        raise RunFileError(f"{p}: cannot be read as {suffix[1:]}: {type(err).__name__}: "
                           f"{str(err)[:300]}") from None
    raise RunFileError(f"{p}: unknown run file type {suffix!r}; use one of {', '.join(_SUFFIXES)}.")


def _read_jsonl(p: Path) -> pd.DataFrame:
    rows = []
    with p.open(encoding="utf-8") as f:
        for i, line in enumerate(f, start=1):
            if not line.strip():
                continue
            try:
                obj = json.loads(line)
            except json.JSONDecodeError as err:
                raise RunFileError(f"{p}:{i}: not valid JSON ({err.msg}).") from None
            if not isinstance(obj, dict):
                raise RunFileError(f"{p}:{i}: each line must be a JSON object; got "
                                   f"{type(obj).__name__}.")
            rows.append(obj)
    return pd.DataFrame(rows)


def read_run(
    path: str | os.PathLike[str], *, judge: str | None = None, strict_judge: bool = True,
) -> pd.DataFrame:
    r"""Read a run file into a frame with one row per case.

    Parameters
    ----------
    path : str or os.PathLike
        ``.csv``, ``.parquet``, ``.jsonl`` (or ``.ndjson``) or ``.json`` (a list of records).
    judge : str, optional
        For a long label file with a ``judge`` column (``evalkit check --out``): the judge whose
        verdicts form the run (``'check:json_valid'``). Needed when the file has several.
    strict_judge : bool, default True
        Raise when ``judge`` is given and the file has no ``judge`` column (``False``: ignore
        it, as ``evalkit gate --judge`` does for a plain baseline file).

    Returns
    -------
    pandas.DataFrame
        The file's columns; CSV cells are read as text (ids keep leading zeros); a ``score``
        column is converted to numbers by :func:`evalkit.compare_runs`.

    Raises
    ------
    RunFileError
        The file is missing, unreadable, of an unknown type, or holds several judges and
        ``judge`` was not given (the message lists them).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "run.csv"
    >>> _ = p.write_text("case_id,segment,verdict\n001,a,pass\n002,b,fail\n")
    >>> read_run(p)["case_id"].tolist()
    ['001', '002']
    """
    p = Path(os.fspath(path))
    frame = _read_table(p)
    if "judge" in frame.columns:
        judges = sorted(map(str, pd.unique(frame["judge"].dropna())))
        if judge is None and len(judges) > 1:
            raise RunFileError(f"{p}: the file has verdicts of {len(judges)} judges "
                               f"{judges[:10]!r}; choose one (judge= / --judge).")
        if judge is not None:
            if judge not in judges:
                raise RunFileError(f"{p}: no verdicts of judge {judge!r}; the file has "
                                   f"{judges[:10]!r}.")
            frame = frame[frame["judge"].astype(str) == judge]
        frame = frame.reset_index(drop=True)
    elif judge is not None and strict_judge:
        raise RunFileError(f"{p}: `judge` {judge!r} was given but the file has no 'judge' column.")
    return frame


def read_cases(cases: Any) -> pd.DataFrame:
    """The case list: a frame, a golden-set folder (active split) or a run-like file.

    Raises
    ------
    RunFileError
        The path does not exist or is not readable.
    GoldenError
        A golden folder fails its checks (tampered file, bad manifest).
    """
    if isinstance(cases, pd.DataFrame):
        return cases
    if not isinstance(cases, (str, os.PathLike)):
        raise RunFileError(f"`cases` must be a DataFrame, a golden-set folder or a file; got "
                           f"{type(cases).__name__}.")
    p = Path(os.fspath(cases))
    if p.is_dir():
        from evalkit.golden import load_golden

        return load_golden(p)
    return _read_table(p)
