"""Structured-output checks: the answer parses as JSON, validates against a JSON Schema, has fields.

Schemas are compiled once with ``jsonschema`` (the dialect named by ``$schema``, else the latest);
a schema that does not compile is a :class:`~evalkit.checks.CheckError` when the check is built,
never a surprise during the run.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from evalkit.checks import _frame as F
from evalkit.checks._core import FAIL, NA, Check, CheckError, Verdicts, verdicts_from

_FENCE = r"^\s*```[A-Za-z0-9_-]*\s*\n?|\n?\s*```\s*$"
_MISSING = object()


def _texts(frame: Any, column: str, strip_fences: bool) -> pa.Array:
    arr = F.strings(frame, column)
    if strip_fences:
        arr = pc.replace_substring_regex(arr, _FENCE, "")
    return arr


def _parse_all(arr: pa.Array) -> tuple[list[Any], np.ndarray, np.ndarray]:
    """Parse each string as JSON: (values, parsed ok mask, error messages)."""
    n = len(arr)
    # Text that cannot start a JSON value fails without calling the parser (fast path for prose).
    # (only a 16-character prefix is trimmed: trimming the whole text would copy all of it)
    head = pc.utf8_ltrim_whitespace(pc.utf8_slice_codeunits(arr, 0, 16))
    first = pc.utf8_slice_codeunits(head, 0, 1)
    maybe = F.as_bool(pc.is_in(first, value_set=pa.array(list('{["-0123456789tfn'))))
    maybe |= F.as_bool(pc.and_(pc.equal(pc.utf8_length(head), 0),
                               pc.greater(pc.utf8_length(arr), 16)))
    values: list[Any] = [_MISSING] * n
    ok = np.zeros(n, dtype=bool)
    errors = np.full(n, "", dtype=object)
    cand = np.flatnonzero(maybe)
    texts = arr.take(pa.array(cand, type=pa.int64())).to_pylist() if len(cand) else []
    for i, text in zip(cand.tolist(), texts, strict=True):
        try:
            values[i] = json.loads(text)
            ok[i] = True
        except (ValueError, RecursionError) as exc:
            errors[i] = f"not JSON: {str(exc)[:120]}"
    errors[~maybe] = "not JSON: does not start like a JSON value"
    return values, ok, errors


def _validate_n(n: Any, what: str) -> None:
    if not isinstance(n, str):
        raise CheckError(f"`{what}` must be a column name (str); got {n!r}.")


def json_valid(*, column: str = "output", strip_fences: bool = False,
               name: str = "json_valid") -> Check:
    """The answer parses as JSON.

    Parameters
    ----------
    column : str, default 'output'
    strip_fences : bool, default False
        Remove a surrounding Markdown code fence (```json ... ```) first.
    name : str, default 'json_valid'

    Returns
    -------
    Check
        ``fail`` with the parser's message when the text is not JSON (an empty answer fails);
        ``n/a`` when the column is missing for a trace.

    Examples
    --------
    >>> import pandas as pd, evalkit
    >>> t = pd.DataFrame({"trace_id": ["a", "b", "c"], "output": ['{"a": 1}', "{a: 1}", None]})
    >>> evalkit.run_checks(t, [json_valid()], by=None).frame["verdict"].tolist()
    ['pass', 'fail', 'n/a']
    """
    _validate_n(column, "column")

    def run(frame: Any) -> Verdicts:
        arr = _texts(frame, column, strip_fences)
        _, ok, errors = _parse_all(arr)
        return verdicts_from(len(arr), [(F.is_null(arr), NA, "no output"),
                                        (~ok, FAIL, errors)])

    return Check(name=name, func=run, columns=(column,), description="the answer parses as JSON",
                 params={"column": column, "strip_fences": strip_fences})


def compile_schema(schema: Any, *, what: str = "schema") -> Any:
    """Compile a JSON Schema with ``jsonschema``; a schema that does not compile is a CheckError.

    Examples
    --------
    >>> compile_schema({"type": "object"}).is_valid({})
    True
    >>> compile_schema({"type": "objekt"})
    Traceback (most recent call last):
    ...
    evalkit.checks._core.CheckError: schema does not compile: 'objekt' is not valid under ...
    """
    import jsonschema
    from jsonschema.exceptions import SchemaError

    if not isinstance(schema, (dict, bool)):
        raise CheckError(f"{what} must be a JSON Schema (a dict or bool); "
                         f"got {type(schema).__name__}: {schema!r:.80}.")
    try:
        cls = jsonschema.validators.validator_for(schema)
        cls.check_schema(schema)
    except SchemaError as exc:
        path = "/".join(map(str, exc.path))
        where = f" at '{path}'" if path else ""
        raise CheckError(f"{what} does not compile: {exc.message}{where}.") from None
    return cls(schema)


def schema_error(validator: Any, value: Any) -> str | None:
    """The most relevant validation error as ``'<path>: <message>'``, or None when valid."""
    from jsonschema.exceptions import best_match

    err = best_match(validator.iter_errors(value))
    if err is None:
        return None
    path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err.absolute_path)
    return f"${path}: {err.message}"[:200]


def json_schema(schema: Any, *, column: str = "output", strip_fences: bool = False,
                name: str = "json_schema") -> Check:
    """The answer is JSON that validates against ``schema`` (``jsonschema``'s own verdict).

    Parameters
    ----------
    schema : dict or bool
        A JSON Schema; the dialect follows ``$schema`` (default: the latest jsonschema knows).
    column, strip_fences, name
        As in :func:`json_valid`.

    Returns
    -------
    Check
        ``fail`` when the text is not JSON or does not validate; the reason names the path of
        the most relevant error (``jsonschema.exceptions.best_match``).

    Raises
    ------
    CheckError
        The schema does not compile.

    Examples
    --------
    >>> import pandas as pd, evalkit
    >>> schema = {"type": "object", "required": ["answer"],
    ...           "properties": {"answer": {"type": "string"}}}
    >>> t = pd.DataFrame({"trace_id": ["a", "b"], "output": ['{"answer": "hi"}', '{"answer": 3}']})
    >>> evalkit.run_checks(t, [json_schema(schema)], by=None).frame["reason"].tolist()
    ['', "$.answer: 3 is not of type 'string'"]
    """
    _validate_n(column, "column")
    validator = compile_schema(schema)

    def run(frame: Any) -> Verdicts:
        arr = _texts(frame, column, strip_fences)
        values, ok, errors = _parse_all(arr)
        for i in np.flatnonzero(ok).tolist():
            err = schema_error(validator, values[i])
            if err is not None:
                ok[i] = False
                errors[i] = err
        return verdicts_from(len(arr), [(F.is_null(arr), NA, "no output"),
                                        (~ok, FAIL, errors)])

    return Check(name=name, func=run, columns=(column,),
                 description="the answer validates against a JSON Schema",
                 params={"schema": schema, "column": column, "strip_fences": strip_fences})


def required_fields(fields: Sequence[str], *, column: str = "output", strip_fences: bool = False,
                    name: str = "required_fields") -> Check:
    """The answer is a JSON object with every field in ``fields`` (dotted paths for nesting).

    Examples
    --------
    >>> import pandas as pd, evalkit
    >>> t = pd.DataFrame({"trace_id": ["a", "b"],
    ...                   "output": ['{"a": {"b": 1}, "c": 2}', '{"a": {}}']})
    >>> r = evalkit.run_checks(t, [required_fields(["a.b", "c"])], by=None)
    >>> r.frame["reason"].tolist()
    ['', 'missing fields: a.b, c']
    """
    _validate_n(column, "column")
    if not isinstance(fields, (list, tuple)) or not fields or not all(
            isinstance(f, str) and f for f in fields):
        raise CheckError(f"`fields` must be a non-empty list of field names; got {fields!r}.")
    paths = [f.split(".") for f in fields]

    def has(value: Any, path: list[str]) -> bool:
        for p in path:
            if not isinstance(value, dict) or p not in value:
                return False
            value = value[p]
        return True

    def run(frame: Any) -> Verdicts:
        arr = _texts(frame, column, strip_fences)
        values, ok, errors = _parse_all(arr)
        for i in np.flatnonzero(ok).tolist():
            missing = [f for f, p in zip(fields, paths, strict=True) if not has(values[i], p)]
            if missing:
                ok[i] = False
                errors[i] = "missing fields: " + ", ".join(missing)
        return verdicts_from(len(arr), [(F.is_null(arr), NA, "no output"),
                                        (~ok, FAIL, errors)])

    return Check(name=name, func=run, columns=(column,),
                 description="the answer has the required JSON fields",
                 params={"fields": list(fields), "column": column})
