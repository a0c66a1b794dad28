"""Values inside OTLP spans: the span-level error, and numbers and text read from attributes.

One job: turn an attribute value into what a canonical column holds (a number, a whole number,
text, parsed JSON), or raise :class:`SpanError` naming the attribute and the span, so that a bad
value is a typed error and never a silent null.
"""

from __future__ import annotations

import json
import math
from typing import Any


class SpanError(Exception):
    """A span-level problem: the field (dotted path), what is wrong, and the span (if not root)."""

    def __init__(self, field: str | None, message: str, span_id: str | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.message = message
        self.span_id = span_id


def _kind(value: Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}.get(
        type(value), type(value).__name__
    )


def _json_loads() -> Any:
    """``json.loads``, through ``orjson`` where that gives the same value (a third of the time).

    ``orjson`` turns integers beyond 64 bits into floats and refuses ``NaN`` and lone
    surrogates: text with a run of 19 digits, and whatever orjson refuses, goes to the standard
    library (tests/traces/test_otlp_fast_json.py compares the two on generated text).
    """
    import re

    try:
        import orjson
    except ImportError:  # pragma: no cover - orjson is a dependency
        return json.loads
    fast, long_number, slow = orjson.loads, re.compile(r"[0-9]{19}").search, json.loads

    def loads(text: str) -> Any:
        if long_number(text):
            return slow(text)
        try:
            return fast(text)
        except ValueError:  # orjson.JSONDecodeError: NaN, lone surrogates, invalid JSON
            return slow(text)

    return loads


json_loads = _json_loads()


def maybe_json(value: Any) -> Any:
    """Parse a JSON string attribute (structured values pass through); non-JSON text stays text.

    Examples
    --------
    >>> maybe_json('[{"role": "user"}]'), maybe_json("plain text"), maybe_json("{not json")
    ([{'role': 'user'}], 'plain text', '{not json')
    >>> maybe_json('{"n": 12345678901234567890123, "x": NaN}')
    {'n': 12345678901234567890123, 'x': nan}
    """
    if isinstance(value, str):
        text = value.strip()
        if text[:1] in ("[", "{"):
            try:
                return json_loads(text)
            except (ValueError, RecursionError):
                return value
    return value


def num(value: Any, field: str, span_id: str | None = None) -> float | None:
    """A number attribute (or its decimal string); null stays null, NaN counts as missing.

    Anything else (text that is not a number, a boolean, infinity) is a :class:`SpanError`
    naming ``field`` (the attribute) and ``span_id``, never a silent null.

    Examples
    --------
    >>> num("0.5", "document.score"), num(None, "x"), num(float("nan"), "x")
    (0.5, None, None)
    >>> num("Infinity", "llm.cost.total", "ab12")
    Traceback (most recent call last):
    ...
    evalkit.traces._otlp_values.SpanError: must be a finite number; got 'Infinity' (not finite)
    """
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise SpanError(field, f"must be a number; got {_kind(value)} {value!r:.60}", span_id)
    if isinstance(value, str):
        try:
            f = float(value.strip())
        except ValueError:
            raise SpanError(field, f"must be a number; got {value!r:.60}", span_id) from None
    else:
        try:
            f = float(value)
        except OverflowError:  # an integer beyond float range: not a plausible count or cost
            raise SpanError(
                field, f"is too large; got a {len(str(value))}-digit number", span_id
            ) from None
    if math.isnan(f):
        return None
    if math.isinf(f):
        raise SpanError(field, f"must be a finite number; got {value!r:.60} (not finite)", span_id)
    return f


def int_or_none(value: Any, field: str, span_id: str | None = None) -> int | None:
    """A whole-number attribute (token count); see :func:`num` for what is an error.

    Examples
    --------
    >>> int_or_none("12", "llm.token_count.prompt"), int_or_none(3.0, "x")
    (12, 3)
    >>> int_or_none(2.5, "gen_ai.usage.input_tokens")
    Traceback (most recent call last):
    ...
    evalkit.traces._otlp_values.SpanError: must be a whole number; got 2.5
    """
    if isinstance(value, int) and not isinstance(value, bool):
        return value  # exact, however large: the shared number check bounds it to int64
    f = num(value, field, span_id)
    if f is None:
        return None
    if not f.is_integer():
        raise SpanError(field, f"must be a whole number; got {value!r:.60}", span_id)
    return int(f)


def text_or_none(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    try:
        return json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError, RecursionError):
        return str(value)
