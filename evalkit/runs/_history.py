"""RunHistory: an append-only SQLite record of run summaries per segment, for trends and drift.

One file, no server. Each run adds a row to ``runs`` (model, prompt hash, eval-set version,
time), its per-segment sums to ``segments`` and, when given rows, its per-case values to ``cases``
(so that drift can pair unchanged cases). Triggers refuse UPDATE and DELETE on all three tables,
as in the label store: history cannot be rewritten, even through raw SQL.
"""

from __future__ import annotations

import html
import os
import sqlite3
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from evalkit.runs._drift import Adjust, DriftResult, detect_drift
from evalkit.runs._errors import HistoryError, HistoryVersionError, RunInputError
from evalkit.runs._tally import object_column, tally
from evalkit.stats._common import check_confidence_level, z_value
from evalkit.stats._proportions import wilson_interval

if TYPE_CHECKING:
    import plotly.graph_objects as go

APPLICATION = "evalkit.RunHistory"
#: ``PRAGMA application_id``: the ASCII bytes ``EVKH``.
APPLICATION_ID = 0x45564B48
#: Schema version written by (and the newest readable by) this evalkit.
SCHEMA_VERSION = 1
SQLITE_MAGIC = b"SQLite format 3\x00"

_DDL = [
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT",
    """CREATE TABLE runs (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        run_id TEXT NOT NULL UNIQUE,
        at TEXT NOT NULL,
        model TEXT NOT NULL,
        prompt_hash TEXT NOT NULL,
        eval_set_version TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('verdict', 'score')),
        has_cases INTEGER NOT NULL
    ) STRICT""",
    """CREATE TABLE segments (
        run_id TEXT NOT NULL REFERENCES runs (run_id),
        segment TEXT NOT NULL,
        n INTEGER NOT NULL CHECK (n > 0),
        score_sum REAL NOT NULL,
        score_sq_sum REAL NOT NULL,
        PRIMARY KEY (run_id, segment)
    ) STRICT""",
    """CREATE TABLE cases (
        run_id TEXT NOT NULL REFERENCES runs (run_id),
        case_id TEXT NOT NULL,
        segment TEXT NOT NULL,
        value REAL NOT NULL,
        PRIMARY KEY (run_id, case_id)
    ) STRICT""",
    *(
        f"CREATE TRIGGER {t}_no_{op.lower()} BEFORE {op} ON {t} "
        f"BEGIN SELECT RAISE(ABORT, 'evalkit run history is append-only'); END"
        for t in ("runs", "segments", "cases", "meta")
        for op in ("UPDATE", "DELETE")
    ),
    f"INSERT INTO meta (key, value) VALUES ('application', '{APPLICATION}'), "
    f"('schema_version', '{SCHEMA_VERSION}')",
    f"PRAGMA application_id = {APPLICATION_ID}",
    f"PRAGMA user_version = {SCHEMA_VERSION}",
]


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise RunInputError(f"`{name}` must be a non-empty string; got {value!r}.")
    return value


def _timestamp(at: Any) -> str:
    if at is None:
        ts = pd.Timestamp.now(tz="UTC")
    else:
        try:
            ts = pd.Timestamp(at)
        except (TypeError, ValueError) as exc:
            raise RunInputError(f"`at` must be a date/time (ISO text, datetime or Timestamp); "
                                f"got {at!r}.") from exc
        if pd.isna(ts):
            raise RunInputError(f"`at` must be a date/time; got {at!r}.")
        ts = ts.tz_localize("UTC") if ts.tzinfo is None else ts.tz_convert("UTC")
    return ts.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class RunHistory:
    """An append-only record of run summaries per segment (SQLite file, no server).

    Parameters
    ----------
    path : str or os.PathLike
        The history file; created on the first :meth:`add` when missing.

    Raises
    ------
    HistoryError
        The path is a folder, not SQLite, or a foreign SQLite file.
    HistoryVersionError
        The file was written by a newer evalkit.

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> h = RunHistory(tempfile.mkdtemp() + "/history.db")
    >>> counts = pd.DataFrame({"segment": ["billing", "refunds"], "n": [200, 40],
    ...                        "passes": [182, 36]})
    >>> h.add(counts, model="m-1", prompt_hash="p1", eval_set_version="v1",
    ...       at="2025-03-01", run_id="r1")
    'r1'
    >>> h.frame()[["run_id", "segment", "statistic"]].round(3).values.tolist()
    [['r1', 'billing', 0.91], ['r1', 'refunds', 0.9]]
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        if self.path.is_dir():
            raise HistoryError(f"run history {str(self.path)!r} is a directory, not a file.")
        if self.path.exists():
            with self._connect() as conn:
                self._check(conn)

    # ------------------------------------------------------------------ file handling
    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        if self.path.exists():
            with self.path.open("rb") as fh:
                head = fh.read(len(SQLITE_MAGIC))
            if head and head != SQLITE_MAGIC:
                raise HistoryError(f"{str(self.path)!r} is not an evalkit run history: not an "
                                   f"SQLite database (starts with {head!r}).")
        elif not self.path.parent.is_dir():
            raise HistoryError(f"cannot create run history {str(self.path)!r}: folder "
                               f"{str(self.path.parent)!r} does not exist.")
        try:
            conn = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
        except sqlite3.Error as exc:
            raise HistoryError(f"cannot open run history {str(self.path)!r}: {exc}.") from exc
        try:
            yield conn
        except sqlite3.DatabaseError as exc:
            raise HistoryError(f"run history {str(self.path)!r}: {exc}.") from exc
        finally:
            conn.close()

    def _check(self, conn: sqlite3.Connection) -> int | None:
        app_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
        if not tables and app_id == 0 and version == 0:
            return None
        meta = dict(conn.execute("SELECT key, value FROM meta").fetchall()) \
            if "meta" in tables else {}
        if app_id != APPLICATION_ID or meta.get("application") != APPLICATION:
            raise HistoryError(f"{str(self.path)!r} is an SQLite database but not an evalkit run "
                               f"history: tables {sorted(tables)}, application_id {app_id:#x}.")
        if version > SCHEMA_VERSION:
            raise HistoryVersionError(
                f"{str(self.path)!r} was written by a newer evalkit: run history schema version "
                f"{version}, but this evalkit reads versions up to {SCHEMA_VERSION}. Upgrade "
                f"evalkit to open it.")
        return int(version)

    # ------------------------------------------------------------------ writing
    def add(
        self,
        run: pd.DataFrame,
        *,
        model: str,
        prompt_hash: str,
        eval_set_version: str,
        at: Any = None,
        run_id: str | None = None,
        by: str | None = "segment",
        keep_cases: bool = True,
    ) -> str:
        """Append one run; return its run id.

        Parameters
        ----------
        run : pandas.DataFrame
            Rows (``case_id`` or ``trace_id``, ``verdict`` or ``score``, optional ``by`` column)
            or per-segment counts (``segment, n, passes`` or ``segment, n, score_sum,
            score_sq_sum``).
        model, prompt_hash, eval_set_version : str
            What ran, with which prompt, on which version of the eval set.
        at : str, datetime or Timestamp, optional
            When it ran (naive times are UTC); default now.
        run_id : str, optional
            Default a random id. Must be new.
        by : str or None, default 'segment'
            Segment column of the rows; ``None`` for one segment ``'all'``.
        keep_cases : bool, default True
            Store the per-case values of rows-in, so that drift pairs unchanged cases.

        Raises
        ------
        RunInputError, DuplicateCaseError, VerdictMismatchError, EmptySegmentError
            The run or an option is malformed.
        HistoryError
            The run id exists already, or the file cannot be written.
        """
        t = tally(run, name="run", by=by)
        rid = uuid.uuid4().hex[:16] if run_id is None else _text(run_id, "run_id")
        row = (rid, _timestamp(at), _text(model, "model"), _text(prompt_hash, "prompt_hash"),
               _text(eval_set_version, "eval_set_version"), t.kind,
               int(keep_cases and t.cases is not None))
        with self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                if self._check(conn) is None:
                    for statement in _DDL:
                        conn.execute(statement)
                if conn.execute("SELECT 1 FROM runs WHERE run_id = ?", (rid,)).fetchone():
                    raise HistoryError(f"run id {rid!r} is already in {str(self.path)!r}; "
                                       f"history is append-only.")
                conn.execute("INSERT INTO runs (run_id, at, model, prompt_hash, eval_set_version,"
                             " kind, has_cases) VALUES (?, ?, ?, ?, ?, ?, ?)", row)
                conn.executemany(
                    "INSERT INTO segments VALUES (?, ?, ?, ?, ?)",
                    [(rid, str(s), int(r.n), float(r.score_sum), float(r.score_sq_sum))
                     for s, r in t.counts.iterrows()],
                )
                if row[-1]:
                    assert t.cases is not None
                    conn.executemany(
                        "INSERT INTO cases VALUES (?, ?, ?, ?)",
                        zip([rid] * len(t.cases), t.cases["case_id"].tolist(),
                            t.cases["segment"].tolist(), t.cases["value"].tolist(), strict=True),
                    )
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
        return rid

    # ------------------------------------------------------------------ reading
    def _read(self, sql: str, params: tuple[Any, ...] = ()) -> pd.DataFrame:
        if not self.path.exists():
            return pd.DataFrame()
        with self._connect() as conn:
            if self._check(conn) is None:
                return pd.DataFrame()
            return pd.read_sql_query(sql, conn, params=params)

    def runs(self) -> pd.DataFrame:
        """One row per run: ``seq, run_id, at, model, prompt_hash, eval_set_version, kind``."""
        df = self._read("SELECT * FROM runs ORDER BY seq")
        if df.empty:
            return pd.DataFrame(columns=["seq", "run_id", "at", "model", "prompt_hash",
                                         "eval_set_version", "kind", "has_cases"])
        df["at"] = pd.to_datetime(df["at"], utc=True, format="ISO8601")
        df["has_cases"] = df["has_cases"].astype(bool)
        return df

    def frame(self, *, confidence_level: float = 0.95) -> pd.DataFrame:
        """One row per (run, segment) with the rate (or mean score) and its interval.

        Columns: ``run_id, seq, at, model, prompt_hash, eval_set_version, kind, has_cases,
        segment, n, score_sum, score_sq_sum, statistic, ci_low, ci_high`` (Wilson for verdicts,
        normal for mean scores), ordered by time then insertion.
        """
        cl = check_confidence_level(confidence_level)
        runs = self.runs()
        seg = self._read("SELECT * FROM segments")
        if seg.empty:
            return pd.DataFrame(columns=[*runs.columns, "segment", "n", "score_sum",
                                         "score_sq_sum", "statistic", "ci_low", "ci_high"])
        df = runs.merge(seg, on="run_id").sort_values(["at", "seq", "segment"], kind="stable")
        return _with_intervals(df.reset_index(drop=True), cl)

    def cases(self, run_id: str) -> pd.DataFrame:
        """The per-case values stored for ``run_id`` (``case_id, segment, value``)."""
        return self._read("SELECT case_id, segment, value FROM cases WHERE run_id = ? "
                          "ORDER BY case_id", (run_id,))

    def drift(
        self,
        *,
        eval_set_version: str | None = None,
        confidence_level: float = 0.95,
        adjust: Adjust = "holm",
        latest: bool = False,
    ) -> DriftResult:
        """Flag significant change between consecutive runs of the same eval-set version.

        Parameters
        ----------
        eval_set_version : str, optional
            Only this version (default: every version, each with its own consecutive pairs).
        confidence_level : float, default 0.95
            Intervals; a comparison is flagged when its adjusted p-value < 1 - level.
        adjust : {'holm', 'bh', 'none'}, default 'holm'
            Multiplicity adjustment over every comparison in the result (family-wise Holm,
            Benjamini-Hochberg FDR, or none).
        latest : bool, default False
            Only the newest run of each version against the run before it (what a CI job
            wants after adding a run: an old, already-handled drift does not fail it again).

        Returns
        -------
        DriftResult
            ``table`` (one row per pair of runs and scope), ``drifted``, ``flagged``,
            ``statistic``/``confidence_interval`` of the most significant change.

        Notes
        -----
        Runs with per-case values are paired on the cases present in both with the same
        segment (the unchanged cases; the others are counted in ``n_unmatched``): exact
        McNemar test and Tango's score interval for verdicts, paired t for scores. Otherwise the
        two runs are compared as independent samples: pooled two-proportion z test and
        Newcombe's hybrid score interval (Welch z for scores). Runs of different kinds
        (verdicts vs scores) are not compared.
        """
        runs = self.runs()
        if eval_set_version is not None:
            runs = runs[runs["eval_set_version"] == eval_set_version]
            if runs.empty:
                known = sorted(set(self.runs()["eval_set_version"]))
                raise RunInputError(f"`eval_set_version` {eval_set_version!r} is not in the "
                                    f"history; known versions: {known}.")
        seg = self._read("SELECT * FROM segments")
        cases = {str(r): self.cases(str(r)) for r in runs.loc[runs["has_cases"], "run_id"]}
        return detect_drift(runs, seg if not seg.empty else pd.DataFrame(
            columns=["run_id", "segment", "n", "score_sum", "score_sq_sum"]), cases,
            confidence_level=confidence_level, adjust=adjust, latest=latest)

    def plot(self, *, confidence_level: float = 0.95, overall: bool = True) -> go.Figure:
        """Per-segment trends over runs with intervals (and the overall rate when ``overall``)."""
        from evalkit.plots.runs import plot_history

        frame = self.frame(confidence_level=confidence_level)
        return plot_history(frame, overall=_overall(frame, confidence_level) if overall else None)

    def __len__(self) -> int:
        return len(self.runs())

    def __repr__(self) -> str:
        return f"RunHistory({str(self.path)!r}, runs={len(self)})"

    def _repr_html_(self) -> str:
        runs = self.runs()
        head = f"<b>RunHistory</b> {html.escape(str(self.path))}: {len(runs)} runs"
        body = runs.tail(10).to_html(index=False, escape=True) if len(runs) else ""
        return f"<div class='evalkit-history'>{head}{body}</div>"


def _with_intervals(df: pd.DataFrame, cl: float) -> pd.DataFrame:
    n = df["n"].to_numpy(dtype=np.float64)
    s = df["score_sum"].to_numpy(dtype=np.float64)
    q = df["score_sq_sum"].to_numpy(dtype=np.float64)
    mean = s / n
    lo, hi = wilson_interval(s, n, confidence_level=cl) if len(df) else (mean, mean)
    with np.errstate(divide="ignore", invalid="ignore"):
        sd = np.sqrt(np.maximum(q - s**2 / n, 0.0) / (n - 1))
    z = z_value(cl)
    is_score = (df["kind"] == "score").to_numpy()
    df = df.copy()
    df["statistic"] = mean
    df["ci_low"] = np.where(is_score, mean - z * sd / np.sqrt(n), lo)
    df["ci_high"] = np.where(is_score, mean + z * sd / np.sqrt(n), hi)
    return df


def _overall(frame: pd.DataFrame, cl: float) -> pd.DataFrame:
    """Sum the segments of each run into one overall row per run."""
    if frame.empty:
        return frame
    keys = ["run_id", "seq", "at", "model", "prompt_hash", "eval_set_version", "kind",
            "has_cases"]
    g = frame.groupby(keys, sort=False)[["n", "score_sum", "score_sq_sum"]].sum().reset_index()
    g["segment"] = object_column([None] * len(g)).set_axis(g.index)
    return _with_intervals(g, cl)


def overall_frame(history: RunHistory, *, confidence_level: float = 0.95) -> pd.DataFrame:
    """One row per run: all segments summed, with the rate and its interval."""
    return _overall(history.frame(confidence_level=confidence_level), confidence_level)
