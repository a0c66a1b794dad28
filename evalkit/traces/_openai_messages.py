"""OpenAI chat messages: strict normalisation and the summary columns derived from them.

One job: check and normalise chat messages, content parts and tool calls (every problem is a
:class:`_Bad` naming the field), and derive ``input``, ``output`` and flattened ``tool_calls``
from normalised messages (:func:`summarize`, also used by the OpenTelemetry readers).
"""

from __future__ import annotations

from typing import Any

from evalkit.traces._jsonio import parse_arguments
from evalkit.traces._roles import canonical_role


class _Bad(Exception):
    """A record-level problem: the field (dotted path) and what is wrong with it."""

    def __init__(self, field: str | None, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _text(content: Any, field: str) -> str | None:
    """Message content as text: content parts joined, non-text parts shown as ``[type]``."""
    if content is None or isinstance(content, str):
        return content
    if isinstance(content, list):
        pieces = []
        for i, part in enumerate(content):
            if isinstance(part, str):
                pieces.append(part)
            elif isinstance(part, dict):
                kind = part.get("type")
                text = part.get("text", part.get("refusal"))
                if isinstance(text, str):
                    pieces.append(text)
                elif isinstance(kind, str):
                    pieces.append(f"[{kind}]")
                else:
                    raise _Bad(f"{field}[{i}]", "content part has neither 'type' nor 'text'")
            else:
                raise _Bad(f"{field}[{i}]", f"content part must be an object, got {_kind(part)}")
        return "\n".join(pieces)
    raise _Bad(field, f"content must be a string, a list of parts or null, got {_kind(content)}")


def _kind(value: Any) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean", type(None): "null"}.get(
        type(value), type(value).__name__
    )


def _str_or_none(value: Any, field: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise _Bad(field, f"must be a string, got {_kind(value)}")


def _message_tool_calls(msg: dict[str, Any], field: str) -> list[dict[str, Any]]:
    calls = msg.get("tool_calls")
    out: list[dict[str, Any]] = []
    if calls is not None:
        if not isinstance(calls, list):
            raise _Bad(f"{field}.tool_calls", f"must be an array, got {_kind(calls)}")
        for j, call in enumerate(calls):
            where = f"{field}.tool_calls[{j}]"
            if not isinstance(call, dict):
                raise _Bad(where, f"must be an object, got {_kind(call)}")
            fn = call.get("function", call.get("custom"))
            if not isinstance(fn, dict):
                raise _Bad(f"{where}.function", "missing or not an object")
            name = fn.get("name")
            if not isinstance(name, str):
                raise _Bad(f"{where}.function.name", "missing or not a string")
            args = fn.get("arguments", fn.get("input"))
            if args is not None and not isinstance(args, str):
                args = _json_text(args)
            out.append(
                {"id": _str_or_none(call.get("id"), f"{where}.id"), "name": name, "arguments": args}
            )
    legacy = msg.get("function_call")
    if isinstance(legacy, dict) and isinstance(legacy.get("name"), str):
        args = legacy.get("arguments")
        out.append(
            {
                "id": None,
                "name": legacy["name"],
                "arguments": _json_text(args)
                if args is not None and not isinstance(args, str)
                else args,
            }
        )
    return out


def _json_text(value: Any) -> str:
    import json

    return json.dumps(value, ensure_ascii=False)


def _message(msg: Any, field: str) -> dict[str, Any]:
    if not isinstance(msg, dict):
        raise _Bad(field, f"message must be an object, got {_kind(msg)}")
    role = msg.get("role")
    if not isinstance(role, str):
        raise _Bad(f"{field}.role", "missing or not a string")
    content = _text(msg.get("content"), f"{field}.content")
    if content is None and isinstance(msg.get("refusal"), str):
        content = msg["refusal"]
    return {
        "role": canonical_role(role),
        "content": content,
        "tool_calls": _message_tool_calls(msg, field),
        "tool_call_id": _str_or_none(msg.get("tool_call_id"), f"{field}.tool_call_id"),
        "name": _str_or_none(msg.get("name"), f"{field}.name"),
    }


def _messages(value: Any, field: str) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise _Bad(field, f"must be an array of messages, got {_kind(value)}")
    return [_message(m, f"{field}[{i}]") for i, m in enumerate(value)]


def summarize(messages: list[dict[str, Any]]) -> dict[str, Any]:
    """Derive ``input``, ``output`` and flattened ``tool_calls`` from normalised messages.

    ``output`` is the content of the last assistant message (null when that message only calls
    tools, or when a user message comes after it: a request still waiting for its answer);
    ``input`` is the last user text before it. Tool results (``role="tool"``) are
    matched to calls by ``tool_call_id``
    (legacy ``role="function"`` results by name).

    Examples
    --------
    >>> msgs = [
    ...     {"role": "user", "content": "Weather?", "tool_calls": [], "tool_call_id": None,
    ...      "name": None},
    ...     {"role": "assistant", "content": None, "tool_calls": [
    ...         {"id": "c1", "name": "weather", "arguments": '{"city": "Oslo"}'}],
    ...      "tool_call_id": None, "name": None},
    ...     {"role": "tool", "content": "4C", "tool_calls": [], "tool_call_id": "c1", "name": None},
    ...     {"role": "assistant", "content": "It is 4C.", "tool_calls": [], "tool_call_id": None,
    ...      "name": None},
    ... ]
    >>> s = summarize(msgs)
    >>> s["input"], s["output"], s["tool_calls"]
    ('Weather?', 'It is 4C.', [{'name': 'weather', 'arguments': {'city': 'Oslo'}, 'result': '4C'}])
    """
    results: dict[str, str | None] = {}
    by_name: dict[str, str | None] = {}
    for m in messages:
        if m["role"] == "tool" and m["tool_call_id"] is not None:
            results[m["tool_call_id"]] = m["content"]
        elif m["role"] == "function" and m["name"] is not None:
            by_name[m["name"]] = m["content"]
    calls = []
    for m in messages:
        for c in m["tool_calls"] or ():
            result = results.get(c["id"]) if c["id"] is not None else by_name.get(c["name"])
            calls.append(
                {"name": c["name"], "arguments": parse_arguments(c["arguments"]), "result": result}
            )
    out_at = None
    for i in range(len(messages) - 1, -1, -1):
        if messages[i]["role"] == "user" and messages[i]["content"] is not None:
            break  # a request-only line (user, assistant, user): no answer to the last question
        if messages[i]["role"] == "assistant":
            out_at = i
            break
    stop = out_at if out_at is not None else len(messages)
    user = None
    for i in range(stop - 1, -1, -1):
        if messages[i]["role"] == "user" and messages[i]["content"] is not None:
            user = messages[i]["content"]
            break
    return {
        "input": user,
        "output": messages[out_at]["content"] if out_at is not None else None,
        "tool_calls": calls,
    }
