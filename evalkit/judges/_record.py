"""The calibrated-judge record: a small JSON file that pins what was calibrated, and on what.

It holds the judge id, the model version, the prompt's SHA-256, TPR/TNR with intervals, the test
set's SHA-256, the date, and how many times that test set has been evaluated. Re-evaluating the
same test set (tuning the judge on it) makes it a dev set: a :class:`TestSetReuseWarning` fires.
:func:`verify_record` fails when the prompt or model changed since calibration (silent drift).
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from evalkit._atomic import atomic_write_text
from evalkit.errors import EvalkitError

SCHEMA_VERSION = 1


class TestSetReuseWarning(UserWarning):
    """The held-out test set has been evaluated before: its estimates are no longer unbiased."""

    __test__ = False  # not a pytest test class


class JudgeRecordError(EvalkitError, ValueError):
    """A calibrated-judge record is missing, unreadable or malformed (names file and field)."""


def hash_text(text: str) -> str:
    r"""SHA-256 (hex) of a prompt; line endings are normalised to ``\n`` first.

    Examples
    --------
    >>> hash_text("a\r\nb") == hash_text("a\nb")
    True
    """
    return hashlib.sha256(text.replace("\r\n", "\n").encode("utf-8")).hexdigest()


def dataset_hash(labels: Any) -> str:
    """SHA-256 of a labelled set: sorted ``(trace_id, verdict)`` pairs, order-independent.

    ``labels`` is a DataFrame with ``trace_id`` and ``verdict`` columns or a Series of verdicts
    indexed by trace id.

    Examples
    --------
    >>> a = pd.Series(["pass", "fail"], index=["t1", "t2"])
    >>> dataset_hash(a) == dataset_hash(a.iloc[::-1])
    True
    """
    if isinstance(labels, pd.DataFrame):
        if not {"trace_id", "verdict"} <= set(labels.columns):
            raise ValueError("`test_set` must have 'trace_id' and 'verdict' columns; got "
                             f"{list(labels.columns)}.")
        pairs = zip(labels["trace_id"].astype(str), labels["verdict"].astype(str), strict=True)
    elif isinstance(labels, pd.Series):
        pairs = zip(labels.index.astype(str), labels.astype(str), strict=True)
    else:
        raise TypeError(f"`test_set` must be a DataFrame or Series; got {type(labels).__name__}.")
    text = "\n".join(f"{t}\t{v}" for t, v in sorted(pairs))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True, kw_only=True)
class JudgeRecord:
    """A calibrated judge (see module docstring); ``to_dict``/JSON round-trips."""

    judge_id: str
    model: str
    prompt_sha256: str
    tpr: dict[str, float]
    tnr: dict[str, float]
    confidence_level: float
    n: int
    n_positive: int
    n_negative: int
    test_set_sha256: str
    calibrated_at: str
    test_set_evaluations: int = 1
    interval_method: str = "wilson"
    schema_version: int = SCHEMA_VERSION
    history: list[dict[str, Any]] = field(default_factory=list)
    rubric_sha256: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """Plain dict (JSON-ready)."""
        return asdict(self)


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, text)


def load_record(path: str | Path) -> JudgeRecord:
    """Read a calibrated-judge record.

    Raises
    ------
    JudgeRecordError
        File missing, invalid JSON, or a missing/mistyped field (named in the message).
    """
    p = Path(path)
    if not p.is_file():
        raise JudgeRecordError(f"{p}: judge record not found.")
    try:
        data = json.loads(p.read_text(encoding="utf-8"))
    except json.JSONDecodeError as e:
        raise JudgeRecordError(f"{p}:{e.lineno}: invalid JSON ({e.msg}).") from e
    if not isinstance(data, dict):
        raise JudgeRecordError(f"{p}: a judge record must be a JSON object.")
    types = {"judge_id": str, "model": str, "prompt_sha256": str, "tpr": dict, "tnr": dict,
             "test_set_sha256": str, "calibrated_at": str, "test_set_evaluations": int}
    for key, typ in types.items():
        if key not in data:
            raise JudgeRecordError(f"{p}: field {key!r} is missing.")
        if not isinstance(data[key], typ):
            raise JudgeRecordError(
                f"{p}: field {key!r} must be {typ.__name__}; got {type(data[key]).__name__}."
            )
    known = set(JudgeRecord.__dataclass_fields__)
    try:
        return JudgeRecord(**{k: v for k, v in data.items() if k in known})
    except TypeError as e:
        raise JudgeRecordError(f"{p}: {e}.") from e


def record_calibration(
    calibration: Any,
    path: str | Path,
    *,
    judge_id: str,
    model: str,
    prompt: str,
    test_set: Any,
    now: _dt.datetime | None = None,
    rubric: Any = None,
) -> JudgeRecord:
    """Write (or update) the calibrated-judge record for a calibration on a test set.

    Parameters
    ----------
    calibration : CalibrationResult
    path : str or Path
        The JSON record (written atomically).
    judge_id, model : str
        The judge's name and its model version (e.g. ``gpt-4o-2024-08-06``).
    prompt : str
        The judge prompt text (only its SHA-256 is stored).
    test_set : DataFrame or Series
        The human-labelled test set (``trace_id``, ``verdict``); only its hash is stored.
    now : datetime, optional
        Timestamp to store (default: now, UTC).
    rubric : Rubric, optional
        The rubric the judge ran with: its ``content_hash`` is stored and checked by
        :func:`verify_record`.

    Returns
    -------
    JudgeRecord

    Warns
    -----
    TestSetReuseWarning
        When ``path`` already records an evaluation on the same test set: the count goes up and
        the test set should be treated as a dev set from now on.
    """
    p = Path(path)
    test_hash = dataset_hash(test_set)
    evaluations, history = 1, []
    if p.exists():
        old = load_record(p)
        history = [*old.history, {k: v for k, v in old.to_dict().items() if k != "history"}]
        if old.test_set_sha256 == test_hash:
            evaluations = old.test_set_evaluations + 1
            warnings.warn(
                f"{p}: this test set has now been evaluated {evaluations} times; estimates "
                "from a reused test set are optimistic. Label a fresh test set.",
                TestSetReuseWarning, stacklevel=2,
            )
    stamp = (now or _dt.datetime.now(_dt.UTC)).isoformat(timespec="seconds")

    def est(e: Any) -> dict[str, float]:
        lo, hi = e.confidence_interval
        return {"statistic": float(e.statistic), "ci_low": float(lo), "ci_high": float(hi)}

    rec = JudgeRecord(
        judge_id=judge_id, model=model, prompt_sha256=hash_text(prompt), tpr=est(calibration.tpr),
        tnr=est(calibration.tnr), confidence_level=float(calibration.confidence_level),
        n=int(calibration.n), n_positive=int(calibration.n_positive),
        n_negative=int(calibration.n_negative), test_set_sha256=test_hash, calibrated_at=stamp,
        test_set_evaluations=evaluations, interval_method=str(calibration.method),
        history=history,
        rubric_sha256=None if rubric is None else str(rubric.content_hash),
    )
    _atomic_write(p, json.dumps(rec.to_dict(), indent=2) + "\n")
    return rec


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordCheck:
    """Outcome of :func:`verify_record`: ``ok`` and the list of ``problems`` found."""

    ok: bool
    problems: list[str]
    record: JudgeRecord


def verify_record(record: JudgeRecord | str | Path, *, prompt: str, model: str,
                  rubric: Any = None) -> RecordCheck:
    """Check that the judge's prompt, model (and rubric, when recorded) are the calibrated ones.

    ``rubric`` (a :class:`~evalkit.judges.Rubric`) is compared by ``content_hash`` with the one
    recorded; a record with a rubric hash fails when no rubric is given.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from evalkit.stats.calibration import calibrate
    >>> cal = calibrate(["pass", "fail", "pass"], ["pass", "fail", "fail"])
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "judge.json"
    >>> test = pd.DataFrame({"trace_id": ["a", "b", "c"], "verdict": ["pass", "fail", "pass"]})
    >>> _ = record_calibration(cal, path, judge_id="j", model="m-1", prompt="Rate it.",
    ...                        test_set=test)
    >>> verify_record(path, prompt="Rate it.", model="m-1").ok
    True
    >>> verify_record(path, prompt="Rate it!", model="m-2").problems
    ['the prompt changed since calibration', "the model changed since calibration: 'm-1' -> 'm-2'"]
    """
    rec = record if isinstance(record, JudgeRecord) else load_record(record)
    problems = []
    if hash_text(prompt) != rec.prompt_sha256:
        problems.append("the prompt changed since calibration")
    if model != rec.model:
        problems.append(f"the model changed since calibration: {rec.model!r} -> {model!r}")
    if rec.rubric_sha256 is not None:
        if rubric is None:
            problems.append("the record pins a rubric: pass `rubric=` to verify it")
        elif rubric.content_hash != rec.rubric_sha256:
            problems.append(f"the rubric changed since calibration ({rubric.name!r} v"
                            f"{rubric.version})")
    return RecordCheck(ok=not problems, problems=problems, record=rec)
