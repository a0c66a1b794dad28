"""The one verdict vocabulary: which spellings mean pass and which mean fail, everywhere.

The Python API (:func:`evalkit.stats.calibration.calibrate`), the
:class:`~evalkit.labels.LabelStore` and the command line all read verdicts through this
module, so ``PASS``, ``Pass``, ``true``, ``1`` and ``yes`` mean the same thing wherever they
appear:

==========  =============================================
canonical   accepted (case-insensitive, surrounding space ignored)
==========  =============================================
``pass``    ``pass``, ``true``, ``yes``, ``1`` (and the booleans/numbers ``True``, ``1``)
``fail``    ``fail``, ``false``, ``no``, ``0`` (and ``False``, ``0``)
``defer``   ``defer`` (only where a deferral is allowed: the label store)
==========  =============================================

Any other two-valued vocabulary (``good``/``bad``, ``correct``/``incorrect``) is read with
``positive=`` naming the value that means pass; every other value then means fail.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Iterable
from typing import Any, Final

from evalkit.errors import EvalkitError

#: Accepted spellings (lower-cased, stripped) -> canonical verdict.
VOCABULARY: Final[dict[str, str]] = {
    "pass": "pass", "true": "pass", "yes": "pass", "1": "pass",
    "fail": "fail", "false": "fail", "no": "fail", "0": "fail",
}  # fmt: skip
_DEFER: Final[str] = "defer"


class VerdictError(EvalkitError, ValueError):
    """A verdict is not in the vocabulary (and no ``positive=`` says what pass is)."""


def _key(value: Any) -> str | None:
    """The vocabulary key of one value, or ``None`` when it cannot be one (missing, 0.5, ...)."""
    if isinstance(value, str):
        return value.strip().lower()
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return "1" if bool(value) else "0"
    if isinstance(value, numbers.Real):
        v = float(value)
        if math.isfinite(v) and v in (0.0, 1.0):
            return str(int(v))
    return None


def normalize_verdict(value: Any, *, positive: Any = None, allow_defer: bool = False) -> str:
    """Return ``'pass'``, ``'fail'`` (or ``'defer'``) for one verdict.

    Parameters
    ----------
    value : str, bool or number
        The verdict as written: ``'PASS'``, ``' fail '``, ``True``, ``0``, ``'yes'``...
    positive : object, optional
        The value that means pass in a vocabulary of your own (``'good'``); with it, any other
        value means fail. Compared case-insensitively for strings.
    allow_defer : bool, default False
        Accept ``'defer'`` (a reviewer's "not now"), as the label store does.

    Raises
    ------
    VerdictError
        The value is not in the vocabulary and no ``positive`` was given. The message lists the
        vocabulary and shows what was received.

    Examples
    --------
    >>> normalize_verdict("PASS"), normalize_verdict(" fail "), normalize_verdict(True)
    ('pass', 'fail', 'pass')
    >>> normalize_verdict("good", positive="Good"), normalize_verdict("bad", positive="good")
    ('pass', 'fail')
    """
    key = _key(value)
    if positive is not None and not _is_vocabulary_word(positive):
        pkey = _key(positive) if _key(positive) is not None else positive
        return "pass" if (key if key is not None else value) == pkey else "fail"
    if key in VOCABULARY:
        verdict = VOCABULARY[key]
        if positive is not None and VOCABULARY[_key(positive) or ""] == "fail":
            return "fail" if verdict == "pass" else "pass"  # positive names the 'fail' spelling
        return verdict
    if allow_defer and key == _DEFER:
        return _DEFER
    allowed = "pass/fail, true/false, yes/no, 1/0 (any case)" + (", defer" if allow_defer else "")
    raise VerdictError(
        f"verdict {value!r} is not in the verdict vocabulary ({allowed}); pass `positive=` "
        "naming the value that means pass to use a vocabulary of your own."
    )


def _is_vocabulary_word(value: Any) -> bool:
    return _key(value) in VOCABULARY


def is_vocabulary(values: Iterable[Any]) -> bool:
    """Whether every value is a verdict of the vocabulary (missing values excluded).

    Examples
    --------
    >>> is_vocabulary(["PASS", "pass ", "No"]), is_vocabulary(["good", "bad"])
    (True, False)
    """
    return all(_key(v) in VOCABULARY for v in values)


def normalize_verdicts(
    values: Iterable[Any], *, positive: Any = None, allow_defer: bool = False
) -> list[str]:
    """Normalise many verdicts at once (each distinct value is looked up once).

    Raises
    ------
    VerdictError
        A value is not in the vocabulary (the message shows the first one and how many rows have
        it), or ``positive`` is given and the values hold more than two distinct verdicts.

    Examples
    --------
    >>> normalize_verdicts(["pass", "PASS", "pass "])
    ['pass', 'pass', 'pass']
    >>> normalize_verdicts(["good", "bad", "good"], positive="good")
    ['pass', 'fail', 'pass']
    """
    vals = list(values)
    cache: dict[Any, str] = {}
    out = []
    for v in vals:
        k = _key(v)
        lookup = k if k is not None else repr(v)
        if lookup not in cache:
            try:
                cache[lookup] = normalize_verdict(v, positive=positive, allow_defer=allow_defer)
            except VerdictError as e:
                n = sum(1 for w in vals if (_key(w) if _key(w) is not None else repr(w)) == lookup)
                raise VerdictError(f"{e} ({n} of {len(vals)} values)") from None
        out.append(cache[lookup])
    if positive is not None and not _is_vocabulary_word(positive):
        distinct = {(_key(v) if _key(v) is not None else repr(v)) for v in vals}
        if len(distinct) > 2:
            shown = ", ".join(sorted(map(repr, distinct))[:8])
            raise VerdictError(
                f"verdicts must be binary with `positive`={positive!r} as pass; got "
                f"{len(distinct)} distinct values: {shown}."
            )
    return out


__all__ = ["VOCABULARY", "VerdictError", "is_vocabulary", "normalize_verdict", "normalize_verdicts"]
