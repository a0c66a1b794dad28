"""Label fields: what each field accepts, validation with clear messages, and text parsing.

Built-in fields:

========================  =======  ===================================================
field                     kind     value
========================  =======  ===================================================
``verdict``               choice   ``'pass'``, ``'fail'`` or ``'defer'``
``note``                  text     free text (the first thing that went wrong)
``open_codes``            list     list of non-empty strings (open coding)
``failure_modes``         list     list of non-empty strings (taxonomy modes)
``severity``              int      integer from 1 to 3
========================  =======  ===================================================

Other fields must be registered with :meth:`evalkit.labels.LabelStore.register_field`.
Verdicts are read through :mod:`evalkit.labels.verdicts` (``'PASS'``, ``'true'``, ``1`` mean pass).
"""

from __future__ import annotations

import contextlib
import json
import math
import numbers
import sys
from dataclasses import dataclass
from typing import Any, Literal

from evalkit.labels._schema import LabelStoreError
from evalkit.labels.verdicts import VerdictError, normalize_verdict

FieldKind = Literal["choice", "text", "list", "int"]
_KINDS: tuple[str, ...] = ("choice", "text", "list", "int")


class InvalidLabelError(LabelStoreError, ValueError):
    """A label value (or trace id, annotator, field...) is not valid for the label store."""


@dataclass(frozen=True, slots=True, kw_only=True)
class FieldSpec:
    """What a label field accepts.

    Attributes
    ----------
    kind : {'choice', 'text', 'list', 'int'}
        ``choice``: one of ``choices``; ``text``: a string; ``list``: a list of non-empty strings
        (from ``choices`` when given); ``int``: an integer from ``low`` to ``high``.
    choices : tuple of str or None
        Allowed values for ``choice`` (required) and ``list`` (optional) fields.
    low, high : int or None
        Inclusive bounds for ``int`` fields (``None``: unbounded).
    """

    kind: FieldKind
    choices: tuple[str, ...] | None = None
    low: int | None = None
    high: int | None = None

    def to_json(self) -> str:
        """Return the spec as JSON (stored in the ``fields`` table)."""
        return json.dumps(
            {"kind": self.kind, "choices": self.choices, "low": self.low, "high": self.high}
        )

    @classmethod
    def from_json(cls, text: str) -> FieldSpec:
        """Read a spec written by :meth:`to_json`."""
        d = json.loads(text)
        choices = tuple(d["choices"]) if d.get("choices") is not None else None
        return cls(kind=d["kind"], choices=choices, low=d.get("low"), high=d.get("high"))


BUILTIN_FIELDS: dict[str, FieldSpec] = {
    "verdict": FieldSpec(kind="choice", choices=("pass", "fail", "defer")),
    "note": FieldSpec(kind="text"),
    "open_codes": FieldSpec(kind="list"),
    "failure_modes": FieldSpec(kind="list"),
    "severity": FieldSpec(kind="int", low=1, high=3),
}


def _quoted(values: tuple[str, ...] | list[str]) -> str:
    return ", ".join(repr(v) for v in values)


def _got(value: Any) -> str:
    return f"{type(value).__name__} {value!r}" if not isinstance(value, str) else repr(value)


def make_spec(
    name: str,
    kind: str,
    choices: Any = None,
    low: int | None = None,
    high: int | None = None,
) -> FieldSpec:
    """Validate a field registration and return its spec."""
    if not isinstance(name, str) or not name.strip():
        raise InvalidLabelError(f"`name` must be a non-empty string; got {_got(name)}.")
    if name in BUILTIN_FIELDS:
        raise InvalidLabelError(
            f"`name` {name!r} is a built-in field ({_quoted(list(BUILTIN_FIELDS))}) and cannot be "
            "re-registered."
        )
    if kind not in _KINDS:
        raise InvalidLabelError(f"`kind` must be one of {_quoted(_KINDS)}; got {_got(kind)}.")
    ch: tuple[str, ...] | None = None
    if choices is not None:
        if isinstance(choices, str) or not all(isinstance(c, str) and c for c in choices):
            raise InvalidLabelError(
                f"`choices` must be a sequence of non-empty strings; got {_got(choices)}."
            )
        ch = tuple(choices)
    if kind == "choice" and not ch:
        raise InvalidLabelError("`choices` is required for kind 'choice'; got None.")
    if kind in ("text", "int") and ch is not None:
        raise InvalidLabelError(
            f"`choices` is only allowed for kinds 'choice' and 'list'; got kind {kind!r}."
        )
    if (low is not None or high is not None) and kind != "int":
        raise InvalidLabelError(f"`low`/`high` are only allowed for kind 'int'; got kind {kind!r}.")
    for arg, v in (("low", low), ("high", high)):
        if v is not None and (isinstance(v, bool) or not isinstance(v, numbers.Integral)):
            raise InvalidLabelError(f"`{arg}` must be an integer or None; got {_got(v)}.")
    if low is not None and high is not None and low > high:
        raise InvalidLabelError(f"`low` must be <= `high`; got low={low}, high={high}.")
    return FieldSpec(
        kind=kind,  # type: ignore[arg-type]
        choices=ch,
        low=None if low is None else int(low),
        high=None if high is None else int(high),
    )


def validate_value(field: str, spec: FieldSpec, value: Any) -> Any:
    """Return ``value`` normalised for ``field`` or raise :class:`InvalidLabelError`.

    Lists are normalised: each code is stripped of surrounding whitespace and repeated codes are
    kept once (first occurrence order).
    """
    where = f"`value` for field {field!r}"
    if field == "verdict" and spec.kind == "choice":
        # the one verdict vocabulary ('PASS', 'true', 1 ...); other values are reported below
        with contextlib.suppress(VerdictError):
            value = normalize_verdict(value, allow_defer=True)
    if spec.kind == "choice":
        assert spec.choices is not None
        if not isinstance(value, str) or value not in spec.choices:
            raise InvalidLabelError(
                f"{where} must be one of {_quoted(spec.choices)}; got {_got(value)}."
            )
        return value
    if spec.kind == "text":
        if not isinstance(value, str):
            raise InvalidLabelError(f"{where} must be a string; got {_got(value)}.")
        return value
    if spec.kind == "int":
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise InvalidLabelError(f"{where} must be an integer{_range(spec)}; got {_got(value)}.")
        v = int(value)
        if (spec.low is not None and v < spec.low) or (spec.high is not None and v > spec.high):
            raise InvalidLabelError(f"{where} must be an integer{_range(spec)}; got {v}.")
        return v
    # list
    if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
        raise InvalidLabelError(f"{where} must be a list of non-empty strings; got {_got(value)}.")
    out: list[str] = []
    for item in value:
        if not isinstance(item, str) or not item.strip():
            raise InvalidLabelError(
                f"{where} must be a list of non-empty strings; got item {_got(item)} in {value!r}."
            )
        code = item.strip()
        if spec.choices is not None and code not in spec.choices:
            raise InvalidLabelError(
                f"{where} items must be among {_quoted(spec.choices)}; got {code!r}."
            )
        if code not in out:
            out.append(code)
    return out


def _range(spec: FieldSpec) -> str:
    if spec.low is not None and spec.high is not None:
        return f" from {spec.low} to {spec.high}"
    if spec.low is not None:
        return f" >= {spec.low}"
    if spec.high is not None:
        return f" <= {spec.high}"
    return ""


def is_missing(value: Any) -> bool:
    """True for None, NaN, pandas NA/NaT (scalar missing markers)."""
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    if isinstance(value, (str, int, list, tuple, dict)):
        return False
    pd = sys.modules.get("pandas")  # pandas missing markers can only exist if pandas is loaded
    if pd is None:
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):  # array-likes
        return False


def parse_value(spec: FieldSpec, value: Any) -> Any:
    """Turn a value read from a flat file (CSV, Parquet, a judges frame) into the field's type.

    Strings for ``int`` fields are parsed (``'2'``, ``'2.0'``); integral floats become ints;
    strings for ``list`` fields are read as a JSON list (``'["a", "b"]'``) or, otherwise, split on
    ``';'`` (``'a;b'``; ``''`` is the empty list). Anything else is returned unchanged for
    :func:`validate_value` to judge.
    """
    if spec.kind == "int":
        if isinstance(value, str):
            try:
                f = float(value.strip())
            except ValueError:
                return value
            return int(f) if f.is_integer() else value
        if isinstance(value, float) and value.is_integer():
            return int(value)
        return value
    if spec.kind == "list":
        if hasattr(value, "tolist") and not isinstance(value, str):  # numpy array from parquet
            return list(value.tolist())
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                try:
                    parsed = json.loads(text)
                except json.JSONDecodeError:
                    return value
                return parsed
            return [part for part in (p.strip() for p in text.split(";")) if part]
        return value
    return value


def check_unicode(arg: str, text: str) -> str:
    r"""Raise :class:`InvalidLabelError` if ``text`` is not valid Unicode (a lone surrogate).

    SQLite stores UTF-8, which cannot hold ``"\ud800"``; without this check the write would fail
    with a ``UnicodeEncodeError`` deep in ``sqlite3``.

    Examples
    --------
    >>> check_unicode("note", "fine")
    'fine'
    >>> check_unicode("note", "bad \ud800")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    evalkit.labels.InvalidLabelError: `note` is not valid Unicode: lone surrogate ...
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        shown = text if len(text) <= 60 else text[:57] + "..."
        raise InvalidLabelError(
            f"`{arg}` is not valid Unicode: lone surrogate {text[exc.start]!r} at character "
            f"{exc.start + 1}; got {shown!r}."
        ) from None
    return text


def encode(value: Any) -> str:
    """JSON-encode a validated value for the ``events.value`` column."""
    return json.dumps(value, ensure_ascii=False)


def decode(text: str | None) -> Any:
    """Inverse of :func:`encode` (``None`` for undo events)."""
    return None if text is None else json.loads(text)


def as_text(value: Any) -> str:
    """Flat-file form of a value: strings as-is, everything else as JSON (CSV/Parquet exports)."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
