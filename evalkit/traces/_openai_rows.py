"""OpenAI chat records to canonical rows: the careful, line-by-line path.

One job: build one canonical row from one record of each shape (fine-tuning, Batch API input or
output, request/response log pair), naming the field of any problem through :class:`_Bad`.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

from evalkit.traces._jsonio import content_hash
from evalkit.traces._openai_batch import BATCH_KEY
from evalkit.traces._openai_messages import (
    _Bad,
    _kind,
    _message,
    _messages,
    _str_or_none,
    summarize,
)
from evalkit.traces._openai_shape import NAME

_PARAMS_USED = frozenset({"messages", "metadata", "user", "safety_identifier", "model"})
_MAX_SECONDS = 9_223_372_036  # the last second pandas' datetime64[ns] can hold (year 2262)


def _int_or_none(value: Any, field: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        raise _Bad(field, f"must be a finite integer; got {value!r} (not finite)")
    if isinstance(value, bool) or not isinstance(value, int):
        raise _Bad(field, f"must be an integer, got {_kind(value)} {value!r:.60}")
    return value


def _completion(body: Any, field: str) -> dict[str, Any]:
    """Pieces of a ``chat.completion`` object: assistant message, id, model, time, tokens."""
    if not isinstance(body, dict):
        raise _Bad(field, f"must be a chat.completion object, got {_kind(body)}")
    choices = body.get("choices")
    if not isinstance(choices, list) or not choices:
        raise _Bad(f"{field}.choices", "missing or empty")
    first = choices[0]
    if not isinstance(first, dict):
        raise _Bad(f"{field}.choices[0]", f"must be an object, got {_kind(first)}")
    message = _message(first.get("message"), f"{field}.choices[0].message")
    created = body.get("created")
    if created is not None and (isinstance(created, bool) or not isinstance(created, (int, float))):
        raise _Bad(f"{field}.created", f"must be a Unix time in seconds, got {_kind(created)}")
    if created is not None and not 0 <= created <= _MAX_SECONDS:
        raise _Bad(f"{field}.created", f"not a valid Unix time in seconds: {created!r}")
    when = datetime.fromtimestamp(created, tz=UTC) if created is not None else None
    usage = body.get("usage")
    if usage is not None and not isinstance(usage, dict):
        raise _Bad(f"{field}.usage", f"must be an object, got {_kind(usage)}")
    usage = usage or {}
    meta = {
        k: body[k]
        for k in ("object", "system_fingerprint", "service_tier")
        if body.get(k) is not None
    }
    if first.get("finish_reason") is not None:
        meta["finish_reason"] = first["finish_reason"]
    return {
        "id": _str_or_none(body.get("id"), f"{field}.id"),
        "model": _str_or_none(body.get("model"), f"{field}.model"),
        "timestamp": when,
        "input_tokens": _int_or_none(usage.get("prompt_tokens"), f"{field}.usage.prompt_tokens"),
        "output_tokens": _int_or_none(
            usage.get("completion_tokens"), f"{field}.usage.completion_tokens"
        ),
        "message": message,
        "meta": meta,
    }


def _params_meta(
    params: dict[str, Any], field: str
) -> tuple[dict[str, Any], str | None, str | None, str | None]:
    """Request metadata: the ``metadata``/``user`` params and ids that come from them."""
    meta: dict[str, Any] = {}
    md = params.get("metadata")
    if md is not None:
        if not isinstance(md, dict):
            raise _Bad(f"{field}.metadata", f"must be an object, got {_kind(md)}")
        meta.update({k: v for k, v in md.items() if v is not None})
    user = params.get("user") if params.get("user") is not None else params.get("safety_identifier")
    if user is not None and not isinstance(user, str):
        raise _Bad(f"{field}.user", f"must be a string, got {_kind(user)}")
    session = (
        (md.get("session_id") if md.get("session_id") is not None else md.get("conversation_id"))
        if md
        else None
    )
    segment = md.get("segment") if md else None
    for key, value in params.items():
        if key not in _PARAMS_USED and value is not None:
            meta.setdefault(key, value)
    return meta, user, _as_str(session), _as_str(segment)


def _as_str(value: Any) -> str | None:
    return None if value is None else str(value)


def native_id(record: dict[str, Any]) -> str | None:
    """A chat record's own ``id`` (text or a whole number), or None: then a content hash.

    Teams add ``id`` (and ``model``) to fine-tuning-shaped lines; as in the generic JSON reader,
    their id is the trace id, so labels join back to their own systems.

    Examples
    --------
    >>> native_id({"id": "conv-17"}), native_id({"id": 17}), native_id({"id": " "})
    ('conv-17', '17', None)
    >>> native_id({"id": True}), native_id({})
    (None, None)
    """
    value = record.get("id")
    if isinstance(value, str) and value.strip():
        return value
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return None


def _row(record: dict[str, Any], shape: str) -> dict[str, Any]:
    row: dict[str, Any] = {}
    meta: dict[str, Any] = {}
    if shape == "finetune":
        messages = _messages(record["messages"], "messages")
        meta.update({k: v for k, v in record.items() if k != "messages"})
        native = native_id(record)
        row["trace_id"] = content_hash(NAME, record) if native is None else native
        if native is not None:
            del meta["id"]
        model = record.get("model")
        row["model"] = model if isinstance(model, str) and model else None
        if row["model"] is not None:
            del meta["model"]
    elif shape == "log":
        request, response = record["request"], record["response"]
        messages = _messages(request.get("messages", []), "request.messages")
        extra, user, session, segment = _params_meta(request, "request")
        meta.update(extra)
        comp = _completion(response, "response")
        messages.append(comp["message"])
        if comp["id"] is None:
            raise _Bad("response.id", "missing: a logged chat.completion always has an id")
        meta.update(comp["meta"])
        meta.update({k: v for k, v in record.items() if k not in ("request", "response")})
        row.update(
            trace_id=comp["id"],
            timestamp=comp["timestamp"],
            model=comp["model"]
            if comp["model"] is not None
            else _str_or_none(request.get("model"), "request.model"),
            input_tokens=comp["input_tokens"],
            output_tokens=comp["output_tokens"],
            user_id=user,
            session_id=session,
            segment=segment,
        )
    else:  # batch input or output line
        custom_id = record["custom_id"]
        if not isinstance(custom_id, str) or not custom_id:
            raise _Bad("custom_id", "must be a non-empty string")
        row["trace_id"] = custom_id
        if "body" in record:
            body = record["body"]
            if not isinstance(body, dict):
                raise _Bad("body", f"must be an object, got {_kind(body)}")
            messages = _messages(body.get("messages"), "body.messages")
            extra, user, session, segment = _params_meta(body, "body")
            meta.update(extra)
            meta.update({k: record[k] for k in ("method", "url") if k in record})
            meta[BATCH_KEY] = "input"
            row.update(
                model=_str_or_none(body.get("model"), "body.model"),
                user_id=user,
                session_id=session,
                segment=segment,
            )
        else:
            response, error = record.get("response"), record.get("error")
            messages = []
            meta[BATCH_KEY] = "output"
            if error is not None:
                meta["error"] = error
            if isinstance(response, dict):
                meta["status_code"] = response.get("status_code")
                if response.get("request_id") is not None:
                    meta["request_id"] = response["request_id"]
                body = response.get("body")
                if isinstance(body, dict) and "choices" in body:
                    comp = _completion(body, "response.body")
                    messages.append(comp["message"])
                    meta.update(comp["meta"])
                    if comp["id"] is not None:
                        meta["completion_id"] = comp["id"]
                    row.update(
                        timestamp=comp["timestamp"],
                        model=comp["model"],
                        input_tokens=comp["input_tokens"],
                        output_tokens=comp["output_tokens"],
                    )
                elif body is not None:
                    meta["response_body"] = body
            elif response is not None:
                raise _Bad("response", f"must be an object or null, got {_kind(response)}")
            if record.get("id") is not None:
                meta["batch_request_id"] = record["id"]
    row.update(summarize(messages))
    row["messages"] = messages
    row["metadata"] = meta
    return row
