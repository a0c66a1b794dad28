"""Refusal detection: a documented phrase list (pluggable), matched case-insensitively by RE2.

A phrase list is a *proxy*: it also catches polite deflections that are the right answer ("I
can't give legal advice, but I've opened a ticket"). Calibrate it against human labels
(:func:`evalkit.calibrate`) before trusting it; notebook 08 shows one that does not agree.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from evalkit.checks import _frame as F
from evalkit.checks._core import FAIL, NA, Check, CheckError, Verdicts, str_list, verdicts_from
from evalkit.checks._text import compile_regex, regex_match

#: Phrases that open or carry a refusal, matched case-insensitively anywhere in the answer
#: (straight and curly apostrophes both match). Tested one by one in tests/checks.
REFUSAL_PHRASES: tuple[str, ...] = (
    "I can't help with",
    "I cannot help with",
    "I can't assist",
    "I cannot assist",
    "I'm not able to assist",
    "I am not able to assist",
    "I'm unable to",
    "I am unable to",
    "I can't provide",
    "I cannot provide",
    "I can't do that",
    "I won't be able to",
    "I must decline",
    "I'm afraid I can't",
    "I'm sorry, but I can't",
    "I'm sorry, but I cannot",
    "I can't discuss",
    "I cannot discuss",
    "I can't take any action",
    "I'm not allowed to",
    "I am not allowed to",
    "I'm not permitted to",
    "As an AI language model",
)


def _phrase_regex(phrases: Sequence[str]) -> str:
    parts = []
    for p in phrases:
        esc = re.escape(p).replace("'", "['’]").replace("\\'", "['’]")
        parts.append(esc.replace("\\ ", r"\s+"))
    return "|".join(parts)


def refusal(phrases: Sequence[str] | None = None, *, extra: Sequence[str] = (),
            detector: Callable[[str], bool] | None = None, expect: bool = False,
            segments: Sequence[str] | None = None, column: str = "output",
            name: str | None = None) -> Check:
    """Did the answer refuse? ``fail`` on an unexpected refusal (or a missing expected one).

    Parameters
    ----------
    phrases : sequence of str, optional
        Replace :data:`REFUSAL_PHRASES` (literal text, case-insensitive, any whitespace).
    extra : sequence of str
        Add phrases to the list.
    detector : callable, optional
        ``detector(text) -> bool`` instead of phrases (a classifier, an LLM call...).
    expect : bool, default False
        ``False``: a refusal fails (the bot should answer); ``True``: a missing refusal fails
        (the bot should decline, e.g. in the ``legal_threats`` segment).
    segments : sequence of str, optional
        Apply only to these segments (others are ``n/a``).
    column : str, default 'output'
    name : str, optional
        Default ``'no_refusal'`` or ``'refuses'`` (with ``expect=True``).

    Examples
    --------
    >>> import pandas as pd, evalkit
    >>> t = pd.DataFrame({"trace_id": ["a", "b"],
    ...                   "output": ["I’m afraid I can’t discuss billing here.", "Sure: ..."]})
    >>> r = evalkit.run_checks(t, [refusal()], by=None)
    >>> r.frame[["verdict", "reason"]].values.tolist()
    [['fail', "refused: matched 'I’m afraid I can’t'"], ['pass', '']]
    """
    if detector is not None and not callable(detector):
        raise CheckError(f"`detector` must be a callable text -> bool; got {detector!r}.")
    items = (list(REFUSAL_PHRASES) if phrases is None else str_list(phrases, "phrases")) + (
        str_list(extra, "extra", allow_empty=True))
    if detector is None and (not items or not all(isinstance(p, str) and p for p in items)):
        raise CheckError(f"`phrases` must be non-empty strings; got {items!r}.")
    pattern = compile_regex(_phrase_regex(items), ignore_case=True, what="refusal phrases")
    segs = tuple(segments) if segments is not None else ()
    if segments is not None:
        str_list(segments, "segments")
    nm = name or ("refuses" if expect else "no_refusal")

    def run(frame: Any) -> Verdicts:
        arr = F.strings(frame, column)
        if detector is not None:
            texts = arr.to_pylist()
            refused = np.array([bool(detector(t)) if t is not None else False for t in texts])
            why = np.full(len(arr), "refused (detector)", dtype=object)
        else:
            refused = regex_match(arr, pattern, ignore_case=True)
            why = np.full(len(arr), "", dtype=object)
            if refused.any():
                import re2

                rx = re2.compile("(?i)" + pattern)
                for i in np.flatnonzero(refused).tolist():
                    m = rx.search(arr[i].as_py())
                    why[i] = f"refused: matched {m.group(0)!r}" if m else "refused"
        outside = np.zeros(len(arr), dtype=bool)
        if segs:
            outside = ~F.column(frame, "segment").isin(segs).fillna(False).to_numpy(dtype=bool)
        rules: list[tuple[Any, int, Any]] = [(outside, NA, "segment not in scope"),
                                             (F.is_null(arr), NA, f"no {column}")]
        if expect:
            rules.append((~refused, FAIL, "did not refuse"))
        else:
            rules.append((refused, FAIL, why))
        return verdicts_from(len(arr), rules)

    return Check(name=nm, func=run, columns=(column,) + (("segment",) if segs else ()),
                 description="the answer refuses" if expect else "the answer does not refuse",
                 params={"phrases": items, "expect": expect, "segments": list(segs)})
