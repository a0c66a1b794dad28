"""The JSON Schema of one golden case (versioned) and its validation.

:func:`case_checker` validates with the schema compiled once by ``fastjsonschema`` (the same
keywords mean the same in its Draft 7 and in Draft 2020-12, which the schema declares; about
20x faster than :mod:`jsonschema`), and re-validates only a failing case with :mod:`jsonschema`
for a precise message. Any other schema (an older ``schema.json``) goes to :mod:`jsonschema`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from functools import lru_cache
from typing import Any

from evalkit.golden._errors import GoldenSchemaError

SCHEMA_VERSION = "1.0.0"
SPLITS: tuple[str, ...] = ("active", "holdout", "retired")
QUALITIES: tuple[str, ...] = ("high", "borderline")
#: Label-store text fields that hold reference answers (one per annotator and trace each):
#: field name -> the reference's quality. The Annotator writes them; ``export_golden`` reads
#: them from a LabelStore or a label frame (``author`` = the annotator who wrote it).
REFERENCE_FIELDS: dict[str, str] = {"reference_high": "high",
                                    "reference_borderline": "borderline"}

_STR_OR_NULL: dict[str, Any] = {"type": ["string", "null"]}

CASE_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": f"https://evalkit.dev/schemas/golden-case/{SCHEMA_VERSION}",
    "title": "evalkit golden case",
    "version": SCHEMA_VERSION,
    "type": "object",
    "additionalProperties": False,
    "required": [
        "case_id", "trace_id", "input", "output", "messages", "source", "references",
        "expected_verdict", "failure_modes", "segment", "severity", "provenance", "split",
        "added_at",
    ],
    "properties": {
        "case_id": {"type": "string", "pattern": "^g-[0-9a-f]{16}$"},
        "trace_id": {"type": "string", "minLength": 1},
        "input": _STR_OR_NULL,
        "output": _STR_OR_NULL,
        "messages": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["role", "content", "name", "tool_call_id", "tool_calls"],
                "properties": {
                    "role": {"type": "string"},
                    "content": _STR_OR_NULL,
                    "name": _STR_OR_NULL,
                    "tool_call_id": _STR_OR_NULL,
                    "tool_calls": {
                        "type": ["array", "null"],
                        "items": {
                            "type": "object",
                            "required": ["id", "name", "arguments"],
                            "properties": {
                                "id": _STR_OR_NULL, "name": _STR_OR_NULL,
                                "arguments": _STR_OR_NULL,
                            },
                        },
                    },
                },
            },
        },
        "source": {
            "type": "object",
            "additionalProperties": False,
            "required": ["format", "file", "line", "span_id", "prompt_id", "template_id"],
            "properties": {
                "format": _STR_OR_NULL, "file": _STR_OR_NULL,
                "line": {"type": ["integer", "null"]}, "span_id": _STR_OR_NULL,
                "prompt_id": _STR_OR_NULL, "template_id": _STR_OR_NULL,
            },
        },
        "references": {
            "type": "array",
            "items": {
                "type": "object",
                "additionalProperties": False,
                "required": ["text", "quality", "author"],
                "properties": {
                    "text": {"type": "string"},
                    "quality": {"enum": list(QUALITIES)},
                    "author": _STR_OR_NULL,
                },
            },
        },
        "expected_verdict": {"enum": ["pass", "fail", None]},
        "failure_modes": {"type": "array", "items": {"type": "string"}},
        "segment": {"type": "string"},
        "severity": {"type": ["integer", "null"]},
        "provenance": {
            "type": "object",
            "additionalProperties": False,
            "required": ["annotators", "first_labeled_at", "last_labeled_at", "label_source"],
            "properties": {
                "annotators": {"type": "array", "items": {"type": "string"}},
                "first_labeled_at": _STR_OR_NULL,
                "last_labeled_at": _STR_OR_NULL,
                "label_source": _STR_OR_NULL,
            },
        },
        "split": {"enum": list(SPLITS)},
        "added_at": {"type": "string"},
    },
}


def schema_text() -> str:
    """The schema as the bytes written to ``schema.json`` (sorted keys, 2-space indent)."""
    return json.dumps(CASE_SCHEMA, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def validator(schema: dict[str, Any] | None = None) -> Any:
    """A compiled Draft 2020-12 validator for ``schema`` (default: :data:`CASE_SCHEMA`)."""
    if schema is None or schema == CASE_SCHEMA:
        return _default_validator()
    import jsonschema

    try:
        jsonschema.Draft202012Validator.check_schema(schema)
    except jsonschema.SchemaError as e:
        raise GoldenSchemaError(f"schema.json is not a valid JSON Schema: {e.message}") from e
    return jsonschema.Draft202012Validator(schema)


@lru_cache(maxsize=1)
def _default_validator() -> Any:
    import jsonschema

    jsonschema.Draft202012Validator.check_schema(CASE_SCHEMA)
    return jsonschema.Draft202012Validator(CASE_SCHEMA)


@lru_cache(maxsize=1)
def _fast_default() -> Any:
    import fastjsonschema

    # Draft 7 has every keyword this schema uses, with the same meaning as in 2020-12
    # (a single-schema ``items`` included); fastjsonschema does not read 2020-12.
    draft7 = {**CASE_SCHEMA, "$schema": "http://json-schema.org/draft-07/schema#"}
    return fastjsonschema.compile(draft7)


def case_checker(schema: dict[str, Any] | None = None) -> Callable[[dict[str, Any], str], None]:
    """Return ``check(case, where)`` raising :class:`GoldenSchemaError` for an invalid case.

    Examples
    --------
    >>> check = case_checker()
    >>> check({"case_id": "x"}, "line 1")
    Traceback (most recent call last):
    evalkit.golden._errors.GoldenSchemaError: line 1: field '<case>' violates the schema: \
'trace_id' is a required property
    """
    if schema is not None and schema != CASE_SCHEMA:
        v = validator(schema)
        return lambda case, where: validate_case(v, case, where=where)
    fast = _fast_default()  # jsonschema (slow to import) is loaded only to explain a failure
    import fastjsonschema

    def check(case: dict[str, Any], where: str) -> None:
        try:
            fast(case)
        except fastjsonschema.JsonSchemaException as e:
            validate_case(validator(), case, where=where)  # the precise error from jsonschema
            # both must agree; a disagreement is still a violation, named by fastjsonschema
            raise GoldenSchemaError(f"{where}: violates the schema: {e}") from e

    return check


def validate_case(v: Any, case: dict[str, Any], *, where: str) -> None:
    """Raise :class:`GoldenSchemaError` naming ``where`` and the field when ``case`` is invalid."""
    err = next(iter(v.iter_errors(case)), None)
    if err is not None:
        path = ".".join(str(p) for p in err.absolute_path) or "<case>"
        raise GoldenSchemaError(f"{where}: field {path!r} violates the schema: {err.message}")
