"""Parse and validate a judge's answer against the rubric: one verdict (and score) per criterion.

Judges wrap JSON in code fences, add a sentence before it, answer ``"Yes"`` for ``"pass"`` or
``"4"`` for ``4``. The parser accepts those and nothing looser: anything else is a
:class:`JudgeOutputError` whose message shows what was received (the runner retries, then records
an error row).
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from evalkit.judges._run_errors import JudgeOutputError

if TYPE_CHECKING:
    from evalkit.judges.rubric import Rubric

_PASS = {"pass", "yes", "true", "y", "1"}
_FAIL = {"fail", "no", "false", "n", "0"}
_PAIR = {"a": "A", "b": "B", "tie": "tie", "response a": "A", "response b": "B",
         "response_a": "A", "response_b": "B"}
_WRAPPERS = ("verdicts", "answers", "scores", "results", "criteria", "dimensions", "questions")


@dataclass(frozen=True, slots=True)
class Answer:
    """One criterion's parsed answer: ``verdict`` (pass/fail, or A/B/tie), ``score``, text."""

    verdict: str
    score: float
    explanation: str


def _show(text: Any, limit: int = 200) -> str:
    s = repr(text)
    return s if len(s) <= limit else s[:limit] + "...'"


def _first_object(text: str) -> dict[str, Any]:
    dec = json.JSONDecoder()
    start = text.find("{")
    tries = 0
    while start != -1 and tries < 50:
        try:
            obj, _ = dec.raw_decode(text, start)
        except json.JSONDecodeError:
            obj = None
        if isinstance(obj, dict):
            return obj
        start, tries = text.find("{", start + 1), tries + 1
    raise JudgeOutputError(f"no JSON object in the judge's answer; got {_show(text)}.")


def _entries(obj: dict[str, Any], criteria: tuple[str, ...]) -> dict[str, Any]:
    if not any(c in obj for c in criteria):
        for w in _WRAPPERS:
            inner = obj.get(w)
            if isinstance(inner, Mapping):
                return dict(inner)
            if isinstance(inner, list):
                out = {}
                for item in inner:
                    if isinstance(item, Mapping) and isinstance(item.get("id"), str):
                        out[item["id"]] = item
                return out
    return obj


def _verdict(value: Any, rubric: Rubric, crit: str) -> tuple[str, float]:
    if rubric.kind == "pairwise":
        if isinstance(value, str) and value.strip().lower() in _PAIR:
            v = _PAIR[value.strip().lower()]
            return v, {"A": 1.0, "B": 0.0, "tie": 0.5}[v]
        raise JudgeOutputError(f"criterion {crit!r}: verdict must be 'A', 'B' or 'tie'; got "
                               f"{_show(value)}.")
    if isinstance(value, bool):
        return ("pass", 1.0) if value else ("fail", 0.0)
    if isinstance(value, (str, int)):
        s = str(value).strip().lower()
        if s in _PASS:
            return "pass", 1.0
        if s in _FAIL:
            return "fail", 0.0
    raise JudgeOutputError(f"criterion {crit!r}: verdict must be 'pass' or 'fail'; got "
                           f"{_show(value)}.")


def _score(value: Any, rubric: Rubric, crit: str) -> tuple[str, float]:
    lo, hi = rubric.scale
    x: float | None = None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        x = float(value)
    elif isinstance(value, str):
        try:
            x = float(value.strip())
        except ValueError:
            x = None
    if x is None or not math.isfinite(x) or x != int(x) or not lo <= x <= hi:
        raise JudgeOutputError(f"criterion {crit!r}: score must be an integer in [{lo}, {hi}]; "
                               f"got {_show(value)}.")
    return ("pass" if x >= rubric.threshold else "fail"), x


def parse_answer(text: Any, rubric: Rubric) -> dict[str, Answer]:
    r"""Parse a judge's reply into one :class:`Answer` per rubric criterion.

    Parameters
    ----------
    text : str
        The judge's raw reply.
    rubric : Rubric

    Returns
    -------
    dict
        criterion id -> Answer, in the rubric's order.

    Raises
    ------
    JudgeOutputError
        Not text, no JSON object, a criterion missing, or a verdict/score out of range.

    Examples
    --------
    >>> from evalkit.judges.rubric import load_example_rubric
    >>> r = load_example_rubric("factual_qa_5dim")
    >>> reply = "```json\n{" + ", ".join(f'"{c}": {{"score": 3}}' for c in r.criteria)
    >>> reply += "}\n```"
    >>> parse_answer(reply, r)["groundedness"]
    Answer(verdict='pass', score=3.0, explanation='')
    >>> parse_answer('{"factual_accuracy": 9}', r)
    Traceback (most recent call last):
    ...
    evalkit.judges._run_errors.JudgeOutputError: criterion 'factual_accuracy': score must be ...
    """
    if not isinstance(text, str):
        raise JudgeOutputError(f"the judge's answer must be text; got {type(text).__name__} "
                               f"{_show(text)}.")
    entries = _entries(_first_object(text), rubric.criteria)
    out: dict[str, Answer] = {}
    for crit in rubric.criteria:
        if crit not in entries:
            raise JudgeOutputError(f"criterion {crit!r} is missing from the judge's answer; got "
                                   f"keys {sorted(map(str, entries))[:10]}.")
        entry = entries[crit]
        explanation: Any = ""
        if isinstance(entry, Mapping):
            explanation = entry.get("explanation", entry.get("reason", ""))
            key = "score" if rubric.kind == "scale" else "verdict"
            alt = ("score", "verdict", "answer", "winner", "value")
            raw = entry.get(key, next((entry[k] for k in alt if k in entry), None))
        else:
            raw = entry
        if raw is None:
            raise JudgeOutputError(f"criterion {crit!r}: no verdict or score in "
                                   f"{_show(entry)}.")
        verdict, score = (_score(raw, rubric, crit) if rubric.kind == "scale"
                          else _verdict(raw, rubric, crit))
        out[crit] = Answer(verdict, score, "" if explanation is None else str(explanation))
    return out
