"""Tool-call checks: the right tool was (not) called, with valid and not invented arguments.

Arguments must fit the tool's JSON schema and reference no id the conversation never mentioned.

Tool schemas come from the trace where the format records them: OpenAI requests and fine-tuning
lines keep ``tools`` (``metadata["tools"]``), OpenInference ``llm.tools`` and OpenTelemetry GenAI
``gen_ai.tool.definitions`` attributes (kept in ``metadata``); or pass ``schemas=`` yourself.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pyarrow as pa

from evalkit.checks import _frame as F
from evalkit.checks._core import (
    FAIL,
    NA,
    PASS,
    Check,
    CheckError,
    Verdicts,
    str_list,
    verdicts_from,
)
from evalkit.checks._distinct import message_groups
from evalkit.checks._json import compile_schema, schema_error

_SCHEMA_KEYS = ("tools", "llm.tools", "gen_ai.tool.definitions")
_CACHE_MAX = 200_000  # validation verdicts kept per check (cleared when full)


def _calls(cell: Any) -> list[dict[str, Any]]:
    if cell is None:
        return []
    if isinstance(cell, (list, tuple, np.ndarray)):
        return [c for c in cell if isinstance(c, dict)]
    return []


def _count(cell: Any, name: str) -> int:
    if cell is None or not isinstance(cell, (list, tuple, np.ndarray)) or not len(cell):
        return 0
    return sum(1 for c in cell if isinstance(c, dict) and c.get("name") == name)


def _check_tool_name(name: Any) -> str:
    if not isinstance(name, str) or not name:
        raise CheckError(f"`name` must be a tool name (non-empty str); got {name!r}.")
    return name


def tool_called(name: str, *, min_count: int = 1, segments: Sequence[str] | None = None,
                check_name: str | None = None) -> Check:
    """The tool ``name`` was called at least ``min_count`` times.

    Parameters
    ----------
    name : str
        Tool (function) name, as in the ``tool_calls`` column.
    min_count : int, default 1
    segments : sequence of str, optional
        Apply only to traces of these segments (others are ``n/a``): where the tool is expected.
    check_name : str, optional
        Default ``'tool_called:<name>'``.

    Examples
    --------
    >>> import pandas as pd, evalkit
    >>> t = pd.DataFrame({"trace_id": ["a", "b"],
    ...                   "tool_calls": [[{"name": "get_invoice", "arguments": {}}], []]})
    >>> evalkit.run_checks(t, [tool_called("get_invoice")], by=None).frame["verdict"].tolist()
    ['pass', 'fail']
    """
    _check_tool_name(name)
    if isinstance(min_count, bool) or not isinstance(min_count, int) or min_count < 1:
        raise CheckError(f"`min_count` must be a positive integer; got {min_count!r}.")
    segs = _segments(segments)

    def run(frame: Any) -> Verdicts:
        counts = np.fromiter((_count(cell, name) for cell in F.objects(frame, "tool_calls")),
                             dtype=np.int64, count=len(frame))
        return verdicts_from(len(frame), [
            (_outside(frame, segs), NA, "segment not in scope"),
            (counts < min_count, FAIL,
             f"{name} not called" if min_count == 1 else f"{name} called < {min_count} times"),
        ])

    return Check(name=check_name or f"tool_called:{name}", func=run,
                 columns=("tool_calls",) + (("segment",) if segs else ()),
                 description=f"the {name} tool was called",
                 params={"name": name, "min_count": min_count, "segments": segs})


def tool_not_called(name: str, *, segments: Sequence[str] | None = None,
                    check_name: str | None = None) -> Check:
    """The tool ``name`` was not called (e.g. no ``issue_refund`` in the legal segment).

    Examples
    --------
    >>> import pandas as pd, evalkit
    >>> t = pd.DataFrame({"trace_id": ["a", "b"],
    ...                   "tool_calls": [[{"name": "issue_refund", "arguments": {}}], None]})
    >>> evalkit.run_checks(t, [tool_not_called("issue_refund")], by=None).frame["verdict"].tolist()
    ['fail', 'pass']
    """
    _check_tool_name(name)
    segs = _segments(segments)

    def run(frame: Any) -> Verdicts:
        called = np.fromiter((_count(cell, name) > 0 for cell in F.objects(frame, "tool_calls")),
                             dtype=bool, count=len(frame))
        return verdicts_from(len(frame), [(_outside(frame, segs), NA, "segment not in scope"),
                                          (called, FAIL, f"{name} was called")])

    return Check(name=check_name or f"tool_not_called:{name}", func=run,
                 columns=("tool_calls",) + (("segment",) if segs else ()),
                 description=f"the {name} tool was not called",
                 params={"name": name, "segments": segs})


def _segments(segments: Sequence[str] | None) -> tuple[str, ...]:
    if segments is None:
        return ()
    return tuple(str_list(segments, "segments"))


def _outside(frame: Any, segs: tuple[str, ...]) -> np.ndarray:
    if not segs:
        return np.zeros(len(frame), dtype=bool)
    s = F.column(frame, "segment")
    return ~s.isin(segs).fillna(False).to_numpy(dtype=bool)


# ------------------------------------------------------------------ schemas from the trace
def _loads(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return None
    return value


def tool_schemas(metadata: Any) -> dict[str, Any]:
    """Tool name -> parameters JSON Schema, from a trace's ``metadata`` (empty if none recorded).

    Reads OpenAI ``tools`` (``{"type": "function", "function": {"name", "parameters"}}``, or
    flat ``{"name", "parameters"}``), Anthropic ``{"name", "input_schema"}``, OpenInference
    ``llm.tools`` (``{"tool": {"json_schema": "..."}}``) and OpenTelemetry GenAI
    ``gen_ai.tool.definitions`` (a list or its JSON text), at the top level of ``metadata`` or
    under ``metadata["attributes"]``.

    Examples
    --------
    >>> tool_schemas({"tools": [{"type": "function", "function": {"name": "f",
    ...               "parameters": {"type": "object"}}}]})
    {'f': {'type': 'object'}}
    """
    if not isinstance(metadata, dict):
        return {}
    out: dict[str, Any] = {}
    places = [metadata]
    if isinstance(metadata.get("attributes"), dict):
        places.append(metadata["attributes"])
    for place in places:
        for key in _SCHEMA_KEYS:
            tools = _loads(place.get(key))
            if isinstance(tools, dict):
                tools = list(tools.values())
            if not isinstance(tools, (list, tuple, np.ndarray)):
                continue
            for t in tools:
                t = _loads(t)
                if not isinstance(t, dict):
                    continue
                t = _loads(t.get("tool", t))
                if isinstance(t, dict) and "json_schema" in t:
                    t = _loads(t["json_schema"])
                if isinstance(t, dict) and isinstance(t.get("function"), dict):
                    t = t["function"]
                if not isinstance(t, dict) or not isinstance(t.get("name"), str):
                    continue
                params = t.get("parameters", t.get("input_schema", t.get("inputSchema")))
                params = _loads(params)
                out[t["name"]] = params if params is not None else {"type": "object"}
    return out


def tool_args_valid(schemas: Mapping[str, Any] | None = None, *, from_trace: bool = True,
                    name: str = "tool_args_valid") -> Check:
    """Every tool call's arguments are JSON that validates against that tool's schema.

    Parameters
    ----------
    schemas : mapping of str to dict, optional
        Tool name -> parameters JSON Schema; these win over schemas found in the trace.
    from_trace : bool, default True
        Also use the tool definitions recorded in the trace (see :func:`tool_schemas`).
    name : str, default 'tool_args_valid'

    Returns
    -------
    Check
        ``n/a`` without tool calls or without any known schema; ``fail`` when arguments are
        not JSON, the tool is not among the defined tools, or validation fails (the reason
        names the tool and the error path).

    Raises
    ------
    CheckError
        A given schema does not compile (schemas found in a trace that do not compile give
        that trace a ``fail`` naming the tool).

    Examples
    --------
    >>> import pandas as pd, evalkit
    >>> schema = {"type": "object", "required": ["invoice_id"],
    ...           "properties": {"invoice_id": {"type": "string"}}}
    >>> t = pd.DataFrame({"trace_id": ["a", "b", "c"], "tool_calls": [
    ...     [{"name": "get_invoice", "arguments": {"invoice_id": "INV-1"}}],
    ...     [{"name": "get_invoice", "arguments": {"id": 1}}], []]})
    >>> r = evalkit.run_checks(t, [tool_args_valid({"get_invoice": schema})], by=None)
    >>> r.frame["verdict"].tolist()
    ['pass', 'fail', 'n/a']
    >>> r.frame["reason"].iloc[1]
    "get_invoice: $: 'invoice_id' is a required property"
    """
    given: dict[str, Any] = {}
    if schemas is not None:
        if not isinstance(schemas, Mapping):
            raise CheckError(f"`schemas` must map tool names to JSON Schemas; got {schemas!r:.80}.")
        for k, v in schemas.items():
            given[str(k)] = compile_schema(v, what=f"schema of tool {k!r}")
    if not given and not from_trace:
        raise CheckError("tool_args_valid needs `schemas=` or from_trace=True.")
    cache: dict[str, Any] = {}

    def validator(schema: Any, tool: str) -> Any:
        key = json.dumps(schema, sort_keys=True, default=str)
        if key not in cache:
            try:
                cache[key] = compile_schema(schema, what=f"schema of tool {tool!r}")
            except CheckError as exc:
                cache[key] = exc
        return cache[key]

    verdict_cache: dict[tuple[int, str], str | None] = {}

    def validate(v: Any, args: Any) -> str | None:
        # the same arguments recur (retries, canned flows): validate each distinct value once
        try:
            key = (id(v), json.dumps(args, sort_keys=True, separators=(",", ":")))
        except (TypeError, ValueError):  # not JSON-serialisable: validate it uncached
            return schema_error(v, args)
        if key not in verdict_cache:
            if len(verdict_cache) >= _CACHE_MAX:
                verdict_cache.clear()
            verdict_cache[key] = schema_error(v, args)
        return verdict_cache[key]

    def one(calls: list[dict[str, Any]], meta: Any, metas: dict[int, Any]) -> tuple[int, str]:
        # schemas in the trace are read only when a called tool has no given schema, once per
        # metadata object (formats share one tools list between the traces of a file)
        need = from_trace and any(str(c.get("name")) not in given for c in calls)
        found: dict[str, Any] = {}
        if need:
            if id(meta) not in metas:
                metas[id(meta)] = tool_schemas(meta)
            found = metas[id(meta)]
        if not given and not found:
            return NA, "no tool schema in the trace"
        for c in calls:
            tool = str(c.get("name"))
            args = c.get("arguments")
            if isinstance(args, str):
                return FAIL, f"{tool}: arguments are not JSON: {args[:60]!r}"
            if tool in given:
                v = given[tool]
            elif tool in found:
                v = validator(found[tool], tool)
                if isinstance(v, CheckError):
                    return FAIL, str(v)[:200]
            else:
                known = sorted(set(given) | set(found))
                return FAIL, f"{tool}: not among the defined tools {known}"[:200]
            err = validate(v, {} if args is None else args)
            if err is not None:
                return FAIL, f"{tool}: {err}"
        return PASS, ""

    def run(frame: Any) -> Verdicts:
        cells = F.objects(frame, "tool_calls")
        use_meta = from_trace and "metadata" in frame.columns
        metas = F.objects(frame, "metadata") if use_meta else [None] * len(cells)
        n = len(cells)
        codes = np.full(n, NA, dtype=np.int8)
        reasons = np.full(n, "no tool calls", dtype=object)
        seen: dict[int, Any] = {}  # per run: the frame keeps every metadata object alive
        for i, (cell, meta) in enumerate(zip(cells, metas, strict=True)):
            calls = _calls(cell)
            if calls:
                codes[i], reasons[i] = one(calls, meta, seen)
        return verdicts_from(n, [(codes == NA, NA, reasons), (codes == FAIL, FAIL, reasons)])

    return Check(name=name, func=run,
                 columns=("tool_calls",) + (("metadata",) if from_trace and not given else ()),
                 description="tool-call arguments validate against the tool's schema",
                 params={"schemas": dict(schemas or {}), "from_trace": from_trace})


# ------------------------------------------------------------------ invented ids
_ID_KEY = re.compile(r"(^id$|_id$|Id$|_ids$|Ids$|email|e_mail|uuid|number$|_no$|account|invoice"
                     r"|order|ticket|user$|customer)", re.IGNORECASE)
_ID_VALUE = re.compile(r"^(?=\S*\d)(?=\S*[A-Za-z])[A-Za-z0-9]\S{3,}$|^[^\s@]+@[^\s@]+\.[^\s@]+$")
_KNOWN_ROLES = ("system", "developer", "user", "tool", "function", "ipython")


def _id_values(args: Any, keys: frozenset[str] | None, key: str = "") -> list[tuple[str, str]]:
    """(key, value) pairs of id-like string values inside tool arguments (recursively)."""
    out: list[tuple[str, str]] = []
    if isinstance(args, dict):
        for k, v in args.items():
            out += _id_values(v, keys, str(k))
    elif isinstance(args, (list, tuple)):
        for v in args:
            out += _id_values(v, keys, key)
    elif isinstance(args, str) and args.strip():
        if keys is not None:
            if key in keys:
                out.append((key, args))
        elif (_ID_KEY.search(key) and len(args) >= 3) or _ID_VALUE.match(args):
            out.append((key, args))
    elif isinstance(args, int) and not isinstance(args, bool) and keys is not None and key in keys:
        out.append((key, str(args)))
    return out


def no_invented_ids(*, keys: Sequence[str] | None = None, name: str = "no_invented_ids") -> Check:
    """Tool arguments reference no id that the conversation never mentioned.

    An argument value is checked when its key is in ``keys`` or, by default, when it looks like
    an identifier: its key names an id (``id``, ``*_id``, ``email``, ``invoice``, ``account``,
    ``order``, ``ticket``...) or the value has no spaces and contains a digit and a letter
    (``INV-2025-1``, ``vm-eu-1``) or is an email address. It is *invented* when it does not occur
    (case-insensitively) in a system, user or tool message before the call.

    Parameters
    ----------
    keys : sequence of str, optional
        Check exactly these argument keys (e.g. ``["email", "invoice_id", "region"]``).
    name : str, default 'no_invented_ids'

    Returns
    -------
    Check
        ``n/a`` without tool calls or id-like arguments; ``fail`` naming the invented values.

    Notes
    -----
    Order matters: only messages before the assistant message that makes the call count (a
    tool result echoing an invented id does not make it known). When the trace keeps no tool
    calls in ``messages``, the ``tool_calls`` column is used with every non-assistant message
    and the results of earlier calls.

    Examples
    --------
    >>> import pandas as pd, evalkit
    >>> msgs = [{"role": "user", "content": "Status of invoice INV-7?"}]
    >>> t = pd.DataFrame({"trace_id": ["a", "b"], "messages": [msgs, msgs], "tool_calls": [
    ...     [{"name": "get_invoice", "arguments": {"invoice_id": "INV-7"}}],
    ...     [{"name": "get_invoice", "arguments": {"invoice_id": "INV-9"}}]]})
    >>> r = evalkit.run_checks(t, [no_invented_ids()], by=None)
    >>> r.frame[["verdict", "reason"]].values.tolist()
    [['pass', ''], ['fail', "invented: invoice_id='INV-9' (get_invoice)"]]
    """
    if keys is not None:
        str_list(keys, "keys")
    kset = frozenset(keys) if keys is not None else None

    def check_args(args: Any, tool: Any, known: str) -> tuple[int, list[str]]:
        args = _loads(args) if isinstance(args, str) else args
        found = _id_values(args, kset)
        return len(found), [f"{k}={v!r} ({tool})" for k, v in found if v.lower() not in known]

    def one(msgs: list[tuple[Any, Any, Any]], cell: Any) -> tuple[int, str, bool]:
        """Verdict, reason, and whether the ``tool_calls`` cell was read (not the messages)."""
        known: list[str] = []
        invented: list[str] = []
        checked, seen_call = 0, False
        for role, content, tcs in msgs:
            if role == "assistant" and tcs is not None and len(tcs):
                text = "\n".join(known).lower()
                for tc in tcs:
                    if isinstance(tc, dict):
                        seen_call = True
                        k, bad = check_args(tc.get("arguments"), tc.get("name"), text)
                        checked, invented = checked + k, invented + bad
            elif role in _KNOWN_ROLES and content:
                known.append(str(content))
        if not seen_call:  # the format kept no calls in messages: use the flat column, unordered
            text = "\n".join(known).lower()
            for c in _calls(cell):
                k, bad = check_args(c.get("arguments"), c.get("name"), text)
                checked, invented = checked + k, invented + bad
                res = c.get("result")
                if res is not None:  # ids returned by a tool may be used by the next call
                    text += "\n" + (res if isinstance(res, str)
                                     else json.dumps(res, default=str)).lower()
        if invented:
            return FAIL, ("invented: " + ", ".join(invented))[:200], not seen_call
        return ((PASS, "") if checked else (NA, "no id-like arguments")) + (not seen_call,)

    def run(frame: Any) -> Verdicts:
        cells = F.objects(frame, "tool_calls")
        n = len(cells)
        rows = np.array([i for i, c in enumerate(cells) if _calls(c)], dtype=np.int64)
        codes = np.full(n, NA, dtype=np.int8)
        reasons = np.full(n, "no tool calls", dtype=object)
        arr = F.list_column(frame, "messages")
        for start in range(0, len(rows), 25_000):  # bounded memory: message text is large
            part = rows[start:start + 25_000]
            # equal conversations (retries, replays) are checked once per chunk
            groups = (None if arr is None
                      else message_groups(arr.take(pa.array(part, type=pa.int64()))))
            first, group = groups if groups is not None else (np.arange(len(part)),
                                                               np.arange(len(part)))
            rep = part[first]
            res = [one(m, cells[i]) for i, m in
                   zip(rep.tolist(), F.message_tuples(frame, rep), strict=True)]
            g_codes = np.array([r[0] for r in res], dtype=np.int8)
            g_why = np.array([r[1] for r in res] + [""], dtype=object)[:-1]
            codes[part], reasons[part] = g_codes[group], g_why[group]
            # a conversation without calls in its messages used the tool_calls cell, which
            # the grouping does not see: check those traces one by one
            redo = np.flatnonzero(np.array([r[2] for r in res], dtype=bool)[group])
            redo = redo[~np.isin(redo, first)]
            if len(redo):
                for i, m in zip(part[redo].tolist(), F.message_tuples(frame, part[redo]),
                                strict=True):
                    codes[i], reasons[i], _ = one(m, cells[i])
        return verdicts_from(n, [(codes == NA, NA, reasons), (codes == FAIL, FAIL, reasons)])

    return Check(name=name, func=run, columns=("tool_calls", "messages"),
                 description="tool arguments use only ids present in the conversation",
                 params={"keys": list(keys) if keys is not None else None})
