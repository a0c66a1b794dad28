"""Chat messages, tool calls and retrieved documents for the dict-based trace readers.

One job: turn the many shapes of messages (OpenAI, LangChain, ShareGPT, Anthropic, Inspect), tool
calls and documents found in trace exports into their canonical dicts.
"""

from __future__ import annotations

import json
from collections import deque
from collections.abc import Mapping
from typing import Any

from evalkit.traces._common_files import maybe_json
from evalkit.traces._common_rows import is_missing, plain
from evalkit.traces._jsonio import parse_arguments
from evalkit.traces._roles import canonical_role

_LC_CLASS_ROLE = {
    "HumanMessage": "human",
    "HumanMessageChunk": "human",
    "AIMessage": "ai",
    "AIMessageChunk": "ai",
    "SystemMessage": "system",
    "SystemMessageChunk": "system",
    "ToolMessage": "tool",
    "ToolMessageChunk": "tool",
    "FunctionMessage": "function",
    "ChatMessage": "chat",
}
_TEXT_KEYS = ("content", "text", "output", "answer", "response", "result", "completion", "value")


def norm_role(role: Any) -> str | None:
    """Map role spellings (human, ai, gpt, HumanMessage...) through ``_roles.ROLE_TABLE``.

    A missing role stays None rather than being guessed.
    """
    if not isinstance(role, str):
        return None
    r = role.strip()
    r = _LC_CLASS_ROLE.get(r, r).lower()
    return canonical_role(r)


def content_text(content: Any) -> str | None:
    """Text of a message content: a string, a list of parts ({type: text, text}), or nested."""
    if is_missing(content):
        return None
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        texts = [t for t in (_part_text(p) for p in content) if t]
        return "\n".join(texts) if texts else ("" if not content else None)
    if isinstance(content, Mapping):
        return _part_text(content)
    return str(content)


def _part_text(part: Any) -> str | None:
    if isinstance(part, str):
        return part
    if not isinstance(part, Mapping):
        return None if is_missing(part) else str(part)
    ptype = part.get("type")
    if ptype in ("text", "input_text", "output_text") or (ptype is None and "text" in part):
        t = part.get("text")
        return t if isinstance(t, str) else content_text(t)
    if ptype in (
        "tool_use",
        "tool_result",
        "image",
        "image_url",
        "input_image",
        "reasoning",
        "thinking",
    ):
        return content_text(part.get("content")) if ptype == "tool_result" else None
    if "content" in part:
        return content_text(part["content"])
    return None


def value_text(value: Any) -> str | None:
    """Best text of an app-level input/output value (str, message, {"output": ...}, messages)."""
    value = maybe_json(value) if isinstance(value, str) and value[:1] in "{[" else value
    if is_missing(value):
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, list):
        msgs = [m for m in value if isinstance(m, Mapping)]
        if msgs and len(msgs) == len(value) and any(_is_message_like(m) for m in msgs):
            parsed = [parse_message(m) for m in msgs]
            return content_text(parsed[-1]["content"]) if parsed else None
        return content_text(value)
    if isinstance(value, Mapping):
        if _is_message_like(value):
            return content_text(parse_message(value)["content"])
        if isinstance(value.get("messages"), list) and value["messages"]:
            return value_text(value["messages"])
        if isinstance(value.get("choices"), list) and value["choices"]:
            first = value["choices"][0]
            if isinstance(first, Mapping):
                return value_text(first.get("message") or first.get("text"))
        if isinstance(value.get("generations"), list):
            gens = flatten_generations(value["generations"])
            if gens:
                g = gens[-1]
                return (
                    value_text(g.get("message"))
                    if g.get("message")
                    else content_text(g.get("text"))
                )
        for key in (*_TEXT_KEYS, "input", "question", "query", "prompt"):
            if key in value and not is_missing(value[key]):
                return value_text(value[key])
        if len(value) == 1:
            return value_text(next(iter(value.values())))
        return json.dumps(value, ensure_ascii=False, default=str)
    return str(value)


def _is_message_like(m: Mapping[str, Any]) -> bool:
    if "role" in m and ("content" in m or "tool_calls" in m):
        return True
    if "from" in m and "value" in m:
        return True
    if m.get("lc") == 1 and isinstance(m.get("id"), list):
        return True
    return (
        isinstance(m.get("type"), str)
        and isinstance(m.get("data"), Mapping)
        and "content" in m["data"]
    )


def flatten_generations(gens: Any) -> list[dict[str, Any]]:
    """LangChain ``generations`` come as ``[[gen, ...], ...]`` (one list per prompt) or flat."""
    out: list[dict[str, Any]] = []
    for g in gens if isinstance(gens, list) else []:
        if isinstance(g, list):
            out.extend(dict(x) for x in g if isinstance(x, Mapping))
        elif isinstance(g, Mapping):
            out.append(dict(g))
    return out


def parse_tool_call(tc: Any) -> dict[str, Any] | None:
    """One tool-call request in any common shape -> ``{id, name, arguments}``.

    ``arguments`` stay as the model produced them (JSON text, or an object where the format
    stores one); :func:`parse_arguments` parses them for the flattened ``tool_calls`` column.
    """
    if not isinstance(tc, Mapping):
        return None
    fn = tc.get("function")
    if isinstance(fn, Mapping):  # OpenAI: {id, type, function: {name, arguments}}
        name, args = fn.get("name"), fn.get("arguments")
    elif isinstance(fn, str):  # Inspect: {id, function, arguments}
        name, args = fn, tc.get("arguments")
    elif "args" in tc:  # LangChain: {name, args, id, type: tool_call}
        name, args = tc.get("name"), tc.get("args")
    elif tc.get("type") == "tool_use" or ("input" in tc and "arguments" not in tc):  # Anthropic
        name, args = tc.get("name"), tc.get("input")
    else:
        name, args = tc.get("name"), tc.get("arguments")
    return {"id": tc.get("id"), "name": name, "arguments": plain(args)}


def parse_message(m: Mapping[str, Any]) -> dict[str, Any]:
    """One chat message in OpenAI, LangChain (serialized or constructor), ShareGPT or Inspect shape.

    Returns ``{role, content, tool_calls, tool_call_id, name}`` where ``tool_calls`` is a list of
    ``{id, name, arguments}`` (``arguments`` as the model produced them) or None.

    Examples
    --------
    >>> m = parse_message({"type": "ai", "data": {"content": "", "tool_calls": [
    ...     {"name": "get_plan", "args": {"id": 7}, "id": "c1", "type": "tool_call"}]}})
    >>> m["role"], m["tool_calls"]
    ('assistant', [{'id': 'c1', 'name': 'get_plan', 'arguments': {'id': 7}}])
    >>> parse_message({"from": "human", "value": "hi"})["role"]
    'user'
    """
    m = dict(m)
    role_hint: Any = m.get("role")
    body: Mapping[str, Any] = m
    if m.get("lc") == 1 and isinstance(m.get("id"), list):  # LangChain constructor dict
        body = m.get("kwargs") or {}
        role_hint = body.get("role") if m["id"][-1] == "ChatMessage" else m["id"][-1]
    elif isinstance(m.get("data"), Mapping) and isinstance(m.get("type"), str) and "role" not in m:
        body = m["data"]  # LangChain message_to_dict: {"type": "human", "data": {...}}
        role_hint = body.get("role") if m["type"] == "chat" else m["type"]
    elif "from" in m and "value" in m and "role" not in m:  # ShareGPT
        body = {"content": m.get("value"), "name": m.get("name")}
        role_hint = m["from"]
    elif role_hint is None and isinstance(m.get("type"), str):
        role_hint = m["type"]
    role = norm_role(role_hint)
    raw_content = body.get("content")
    calls: list[dict[str, Any]] = []
    for source in (body.get("tool_calls"), (body.get("additional_kwargs") or {}).get("tool_calls")):
        if isinstance(source, list) and not calls:
            calls = [c for c in (parse_tool_call(tc) for tc in source) if c]
    if isinstance(raw_content, list) and not calls:
        calls = [
            c
            for c in (
                parse_tool_call(p)
                for p in raw_content
                if isinstance(p, Mapping) and p.get("type") == "tool_use"
            )
            if c
        ]
    fc = body.get("function_call") or (body.get("additional_kwargs") or {}).get("function_call")
    if isinstance(fc, Mapping) and not calls:
        calls = [
            {"id": None, "name": fc.get("name"), "arguments": parse_arguments(fc.get("arguments"))}
        ]
    tool_call_id = body.get("tool_call_id")
    name = body.get("name")
    if role == "tool" and name is None and isinstance(body.get("function"), str):
        name = body["function"]  # Inspect ChatMessageTool.function
    if isinstance(raw_content, list) and role == "user" and tool_call_id is None:
        for p in raw_content:  # Anthropic tool_result blocks arrive inside a user message
            if isinstance(p, Mapping) and p.get("type") == "tool_result":
                tool_call_id = p.get("tool_use_id")
    return {
        "role": role,
        "content": content_text(raw_content),
        "tool_calls": calls or None,
        "tool_call_id": tool_call_id if isinstance(tool_call_id, str) else None,
        "name": name if isinstance(name, str) else None,
    }


def messages_from_value(value: Any, *, default_role: str) -> list[dict[str, Any]]:
    """Messages in an observation/run input or output.

    Accepts a list of messages, {"messages": [...]}, a
    message, an OpenAI completion ({"choices": [...]}) or plain text (one ``default_role`` message).
    """
    value = maybe_json(value)
    if is_missing(value):
        return []
    if isinstance(value, list):
        if value and isinstance(value[0], list):  # LangChain batches: [[msg, ...]]
            value = value[0]
        if value and all(isinstance(m, Mapping) and _is_message_like(m) for m in value):
            return [parse_message(m) for m in value]
        text = content_text(value)
        return [_text_message(default_role, text)] if text is not None else []
    if isinstance(value, Mapping):
        if _is_message_like(value):
            return [parse_message(value)]
        for key in ("messages", "message", "output"):
            if key in value and not is_missing(value[key]):
                return messages_from_value(value[key], default_role=default_role)
        if isinstance(value.get("choices"), list) and value["choices"]:
            first = value["choices"][0]
            if isinstance(first, Mapping):
                if isinstance(first.get("message"), Mapping):
                    return [parse_message({"role": "assistant", **first["message"]})]
                if isinstance(first.get("text"), str):
                    return [_text_message("assistant", first["text"])]
        if "generations" in value:
            gens = flatten_generations(value["generations"])
            if gens:
                g = gens[-1]
                if isinstance(g.get("message"), Mapping):
                    return [parse_message(g["message"])]
                return [_text_message("assistant", content_text(g.get("text")))]
        if "prompts" in value and isinstance(value["prompts"], list):
            return [_text_message("user", content_text(p)) for p in value["prompts"]]
        text = value_text(value)
        return [_text_message(default_role, text)] if text is not None else []
    return [_text_message(default_role, str(value))]


def _text_message(role: str, text: str | None) -> dict[str, Any]:
    return {"role": role, "content": text, "tool_calls": None, "tool_call_id": None, "name": None}


def text_message(role: str, text: str | None) -> dict[str, Any]:
    """A canonical message with only role and content."""
    return _text_message(role, text)


def last_text(messages: list[dict[str, Any]], role: str) -> str | None:
    """Content of the last message with this role that has text."""
    for m in reversed(messages):
        if m.get("role") == role and m.get("content"):
            return m["content"]
    for m in reversed(messages):
        if m.get("role") == role and m.get("content") is not None:
            return m["content"]
    return None


def tool_calls_from_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Flatten assistant tool-call requests, matched to the tool messages that answered them."""
    return [call for _, call in _message_calls(messages)]


def _message_calls(messages: list[dict[str, Any]]) -> list[tuple[str | None, dict[str, Any]]]:
    """``(id, call)`` of every tool call the messages request, with its result where answered."""
    results: dict[str, str | None] = {}
    for m in messages:
        if m.get("role") == "tool" and isinstance(m.get("tool_call_id"), str) and m["tool_call_id"]:
            results[m["tool_call_id"]] = m.get("content")
    out: list[tuple[str | None, dict[str, Any]]] = []
    for m in messages:
        for tc in m.get("tool_calls") or []:
            call_id = tc["id"] if isinstance(tc.get("id"), str) and tc["id"] else None
            call = {
                "name": tc.get("name"),
                "arguments": parse_arguments(tc.get("arguments")),
                "result": results.get(call_id) if call_id is not None else None,
            }
            out.append((call_id, call))
    return out


def complete_tool_calls(
    calls: list[dict[str, Any]], messages: list[dict[str, Any]], ids: list[Any] | None = None
) -> list[dict[str, Any]]:
    """Tool calls of tool spans, with what a span lacks taken from the conversation's messages.

    A tool span often records only the tool's name: arguments and results are opt-in content in
    the OpenTelemetry GenAI conventions, while the chat messages around the span carry both.
    Each span's call is matched to the message call with its id (``ids``: the span's tool-call
    id, ``None`` where unknown), else to the next unmatched message call of the same name, and
    only its ``None`` arguments and result are filled. The calls and their order stay the spans'.
    With no tool spans, the calls are the messages' own (:func:`tool_calls_from_messages`).

    Examples
    --------
    >>> msgs = [
    ...     {"role": "assistant", "content": None, "tool_calls": [
    ...         {"id": "c1", "name": "weather", "arguments": '{"city": "Oslo"}'}]},
    ...     {"role": "tool", "content": "4C", "tool_call_id": "c1"},
    ... ]
    >>> complete_tool_calls([{"name": "weather", "arguments": None, "result": None}], msgs)
    [{'name': 'weather', 'arguments': {'city': 'Oslo'}, 'result': '4C'}]
    """
    if calls and not any(c["arguments"] is None or c["result"] is None for c in calls):
        return calls
    found = _message_calls(messages)
    if not calls or not found:
        return calls or [call for _, call in found]
    by_id: dict[str, int] = {}
    for i, (call_id, _) in enumerate(found):
        if call_id is not None:
            by_id.setdefault(call_id, i)  # the first call of an id given twice
    ids = ids if ids is not None else [None] * len(calls)
    at_of = [by_id.get(i) if isinstance(i, str) else None for i in ids]  # the calls ids name...
    taken = set(at_of)
    by_name: dict[str, deque[int]] = {}
    for i, (_, m) in enumerate(found):  # ...then, in order, the next one of the same name
        if i not in taken and isinstance(m["name"], str):  # (a hand-made file's may be a list)
            by_name.setdefault(m["name"], deque()).append(i)
    out = []
    for c, at in zip(calls, at_of, strict=True):
        if at is None and isinstance(c["name"], str) and by_name.get(c["name"]):
            at = by_name[c["name"]].popleft()
        if at is None:
            out.append(c)
            continue
        m = found[at][1]
        out.append(
            {
                **c,
                "arguments": m["arguments"] if c["arguments"] is None else c["arguments"],
                "result": m["result"] if c["result"] is None else c["result"],
            }
        )
    return out


def message_list_cell(value: Any) -> list[dict[str, Any]] | None:
    """Messages if a table cell holds a JSON list of chat messages, else ``None``.

    Examples
    --------
    >>> [m["role"] for m in message_list_cell('[{"role": "user", "content": "Hi"}]')]
    ['user']
    >>> message_list_cell("[not json") is None, message_list_cell("[1, 2]") is None
    (True, True)
    """
    if isinstance(value, str):
        if not value.lstrip().startswith("["):
            return None
        try:
            value = json.loads(value)
        except (ValueError, RecursionError):
            return None
    if (
        isinstance(value, list)
        and value
        and all(isinstance(m, Mapping) and _is_message_like(m) for m in value)
    ):
        return [parse_message(m) for m in value]
    return None


def observe_args(value: Any) -> Any:
    """Unwrap a recorded call ``{"args": [...], "kwargs": {...}}`` (Langfuse ``@observe``).

    Keyword arguments only -> the kwargs dict; one positional argument only -> that argument;
    anything else is returned as it is.

    Examples
    --------
    >>> observe_args({"args": [], "kwargs": {"city": "Paris"}})
    {'city': 'Paris'}
    >>> observe_args({"args": ["Hi"], "kwargs": {}})
    'Hi'
    >>> observe_args({"city": "Paris"})
    {'city': 'Paris'}
    """
    value = maybe_json(value)
    if isinstance(value, Mapping) and set(value) == {"args", "kwargs"}:
        args, kwargs = value["args"], value["kwargs"]
        if isinstance(args, list) and isinstance(kwargs, Mapping):
            if not args:
                return dict(kwargs)
            if not kwargs and len(args) == 1:
                return args[0]
    return value


def parse_document(doc: Any, index: int) -> dict[str, Any]:
    """A retrieved document (LangChain Document, {id, text|content, score}, text) -> canonical."""
    if isinstance(doc, str):
        return {"id": str(index), "text": doc, "score": None}
    if not isinstance(doc, Mapping):
        return {"id": str(index), "text": None if is_missing(doc) else str(doc), "score": None}
    if doc.get("lc") == 1 and isinstance(doc.get("kwargs"), Mapping):
        doc = doc["kwargs"]
    meta = doc.get("metadata") if isinstance(doc.get("metadata"), Mapping) else {}
    text = None
    for key in ("page_content", "text", "content", "document", "chunk"):
        if key in doc and not is_missing(doc[key]):
            text = content_text(doc[key]) if not isinstance(doc[key], str) else doc[key]
            break
    doc_id = None
    for src in (doc, meta):
        for key in ("id", "doc_id", "document_id", "source", "uri", "url"):
            if not is_missing(src.get(key)):
                doc_id = src.get(key)
                break
        if doc_id is not None:
            break
    score = None
    for src in (doc, meta):
        for key in ("score", "relevance_score", "similarity", "distance"):
            if isinstance(src.get(key), int | float) and not isinstance(src.get(key), bool):
                score = float(src[key])
                break
        if score is not None:
            break
    return {"id": str(doc_id) if doc_id is not None else str(index), "text": text, "score": score}


def documents_from_value(value: Any) -> list[dict[str, Any]]:
    """Documents in a retriever output: a list, or {"documents": [...]} and similar."""
    value = maybe_json(value)
    if isinstance(value, Mapping):
        for key in ("documents", "docs", "results", "output", "context", "chunks"):
            if isinstance(value.get(key), list):
                value = value[key]
                break
    if isinstance(value, list):
        return [parse_document(d, i) for i, d in enumerate(value)]
    if is_missing(value):
        return []
    return [parse_document(value, 0)]
