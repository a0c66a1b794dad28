"""The OTLP reader's quick paths give exactly what the general code gives.

``maybe_json`` parses JSON held in span attributes through ``orjson`` where that gives the
standard library's value; ``_nanos``, ``_id`` and ``attributes`` take a quick path for the common
spelling (decimal-string nanoseconds, hex ids, string values). Oracles: ``json.loads`` for the
first; for the others the values the OTLP/JSON spec defines (``int`` of the decimal string, the
lowercase hex id, the string itself), and the typed errors on everything else.
"""

from __future__ import annotations

import gc
import json
import math
import warnings

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evalkit.errors import TraceFormatError
from evalkit.traces import load_traces
from evalkit.traces._otlp import _MAX_NANOS, _id, _nanos, attributes
from evalkit.traces._otlp_values import SpanError, json_loads, maybe_json

_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**30), max_value=10**30)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4)
    ),
    max_leaves=12,
)


def _same(a, b) -> bool:
    """Equal, with NaN equal to NaN and the types of numbers kept apart (1 is not 1.0)."""
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return a == b


@settings(max_examples=300, deadline=None)
@given(_json, st.sampled_from([None, 1, 2]))
def test_attribute_json_parses_as_the_standard_library_does(value, indent):
    text = json.dumps(value, indent=indent)  # NaN, Infinity, 30-digit integers included
    assert _same(json_loads(text), json.loads(text))
    if text.lstrip()[:1] in "[{":
        assert _same(maybe_json(text), json.loads(text))


@pytest.mark.parametrize(
    "text",
    [
        '{"n": 123456789012345678901234567890}',  # beyond 64 bits: orjson would give a float
        '{"n": -18446744073709551616}',
        '{"x": NaN, "y": -Infinity}',  # orjson refuses these; the standard library reads them
        '["\\ud800"]',  # a lone surrogate
        '{"x": 1e400}',
    ],
)
def test_values_orjson_cannot_give_exactly_come_from_the_standard_library(text):
    assert _same(json_loads(text), json.loads(text))


def test_text_that_is_not_json_stays_text():
    assert maybe_json("[not json") == "[not json"
    assert maybe_json("  plain  ") == "  plain  "


@settings(max_examples=200, deadline=None)
@given(st.integers(min_value=1, max_value=_MAX_NANOS))
def test_decimal_nanoseconds(n):
    assert _nanos(str(n), "span") == n
    assert _nanos(n, "span") == n


@pytest.mark.parametrize(
    "value", ["-5", "1.5", "12ab", "99999999999999999999", str(_MAX_NANOS + 1), True, 1.5]
)
def test_bad_nanoseconds_are_typed_errors_naming_the_field(value):
    with pytest.raises(SpanError) as err:
        _nanos(value, "resourceSpans[0]", ".startTimeUnixNano")
    assert err.value.field == "resourceSpans[0].startTimeUnixNano"


@pytest.mark.parametrize("value", [None, "", "0", 0])
def test_absent_nanoseconds_are_null(value):
    assert _nanos(value, "span") is None


def test_ids():
    assert _id("ABCDEF0123456789", "s", ".spanId", required=True) == "abcdef0123456789"
    assert _id("nefg8tAuV0lTjT3nKn3m9g==", "s", required=True) == "9de7e0f2d02e5749538d3de72a7de6f6"
    assert _id(None, "s", ".parentSpanId", required=False) is None
    with pytest.raises(SpanError) as err:
        _id(None, "s", ".spanId", required=True)
    assert err.value.field == "s.spanId"
    with pytest.raises(SpanError) as err:
        _id(12, "s", ".traceId", required=True)
    assert err.value.field == "s.traceId"


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.text(max_size=8), st.text(max_size=8)), max_size=6))
def test_string_attributes(pairs):
    items = [{"key": k, "value": {"stringValue": v}} for k, v in pairs]
    assert attributes(items, "span", ".attributes") == dict(pairs)


def test_a_string_value_with_a_second_kind_is_not_taken_as_a_string():
    # {"stringValue": ..., "intValue": ...}: the general decoder decides (stringValue first)
    items = [{"key": "k", "value": {"stringValue": "a", "intValue": "3"}}]
    assert attributes(items, "span") == {"k": "a"}
    with pytest.raises(SpanError) as err:
        attributes([{"key": "k", "value": {"stringValue": 3}}], "span", ".attributes")
    assert "stringValue must be a string" in err.value.message
    assert err.value.field == "span.attributes[0].value (k)"


def test_garbage_collection_is_back_on_after_a_read_and_after_a_failed_one(tmp_path):
    good = tmp_path / "ok.jsonl"
    span = {
        "traceId": "5b8efff798038103d269b633813fc60c",
        "spanId": "eee19b7ec3c1b174",
        "name": "chat",
        "attributes": [{"key": "gen_ai.operation.name", "value": {"stringValue": "chat"}}],
    }
    doc = {"resourceSpans": [{"scopeSpans": [{"spans": [span]}]}]}
    good.write_text(json.dumps(doc) + "\n")
    bad = tmp_path / "bad.jsonl"
    bad.write_text(json.dumps(doc).replace('"eee19b7ec3c1b174"', "7") + "\n")
    assert gc.isenabled()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # no output in this span: a warning says so
        load_traces(good, format="otel_genai")
    assert gc.isenabled()
    with pytest.raises(TraceFormatError):
        load_traces(bad, format="otel_genai")
    assert gc.isenabled()
