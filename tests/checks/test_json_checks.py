"""json_valid, json_schema and required_fields: true and false positives, jsonschema as oracle."""

from __future__ import annotations

import json

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evalkit import checks
from evalkit.checks import CheckError

from .conftest import frame, verdicts


def test_json_valid_true_and_false_positives() -> None:
    t = frame(output=['{"a": 1}', "[1, 2]", "  42 ", "true", "{a: 1}", "Sure! {\"a\": 1}",
                      "", '{"a": 1', None])
    assert verdicts(t, checks.json_valid()) == [
        "pass", "pass", "pass", "pass", "fail", "fail", "fail", "fail", "n/a"]


def test_json_valid_after_long_leading_whitespace() -> None:
    t = frame(output=[" " * 40 + '{"a": 1}', "\n" * 20 + "x", " " * 40])
    assert verdicts(t, checks.json_valid()) == ["pass", "fail", "fail"]


def test_json_valid_reason_names_the_parser_error() -> None:
    r = checks.json_valid()(frame(output=['{"a": 1']))
    assert r["reason"].iloc[0].startswith("not JSON: Expecting")


def test_json_valid_strips_markdown_fences_when_asked() -> None:
    t = frame(output=['```json\n{"a": 1}\n```', '```\n[1]\n```'])
    assert verdicts(t, checks.json_valid()) == ["fail", "fail"]
    assert verdicts(t, checks.json_valid(strip_fences=True)) == ["pass", "pass"]


SCHEMAS = [
    {"type": "object", "required": ["answer"], "properties": {"answer": {"type": "string"}}},
    {"type": "array", "items": {"type": "integer", "minimum": 0}, "maxItems": 3},
    {"anyOf": [{"type": "string", "pattern": "^[a-z]+$"}, {"type": "null"}]},
    {"type": "object", "additionalProperties": False,
     "properties": {"n": {"type": "number", "exclusiveMaximum": 10}}},
]
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-20, 20) | st.floats(-20, 20, allow_nan=False)
    | st.text("abcXY ", max_size=4),
    lambda inner: st.lists(inner, max_size=4)
    | st.dictionaries(st.sampled_from(["answer", "n", "x"]), inner, max_size=3),
    max_leaves=8,
)


@pytest.mark.parametrize("schema", SCHEMAS)
@settings(max_examples=25, deadline=None)
@given(values=st.lists(json_values, min_size=1, max_size=12))
def test_json_schema_verdicts_match_jsonschema(schema: dict, values: list) -> None:
    t = frame(output=[json.dumps(v) for v in values])
    got = verdicts(t, checks.json_schema(schema))
    oracle = jsonschema.validators.validator_for(schema)(schema)
    assert got == ["pass" if oracle.is_valid(v) else "fail" for v in values]


def test_json_schema_reason_names_the_path() -> None:
    schema = SCHEMAS[0]
    r = checks.json_schema(schema)(frame(output=['{"answer": 3}', "{}", "Plain text"]))
    assert r["reason"].tolist() == [
        "$.answer: 3 is not of type 'string'",
        "$: 'answer' is a required property",
        "not JSON: does not start like a JSON value",
    ]


@pytest.mark.parametrize(
    ("schema", "match"),
    [
        ({"type": "objekt"}, r"does not compile: 'objekt' is not valid"),
        ({"properties": {"a": {"minimum": "3"}}},
         r"does not compile: .* at 'properties/a/minimum'"),
        ("not a schema", r"must be a JSON Schema \(a dict or bool\); got str"),
    ],
)
def test_schema_that_does_not_compile_is_a_typed_error(schema: object, match: str) -> None:
    with pytest.raises(CheckError, match=match):
        checks.json_schema(schema)


def test_required_fields_dotted_paths() -> None:
    t = frame(output=['{"a": {"b": 1}, "c": null}', '{"a": {"b": 1}}', "[1]", "x"])
    c = checks.required_fields(["a.b", "c"])
    assert verdicts(t, c) == ["pass", "fail", "fail", "fail"]
    assert c(t)["reason"].tolist()[1:3] == ["missing fields: c", "missing fields: a.b, c"]


@pytest.mark.parametrize("fields", [[], "a", [""], [1]])
def test_required_fields_bad_argument(fields: object) -> None:
    with pytest.raises(CheckError, match="`fields` must be a non-empty list"):
        checks.required_fields(fields)  # type: ignore[arg-type]
