"""What every writer shares: deterministic JSON, timestamps, trace metadata, OpenAI messages."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from evalkit.sample_data._records import Trace

APP_VERSION = "2.4.1"


def dumps(obj: Any) -> str:
    """Deterministic compact JSON."""
    return json.dumps(obj, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def _dt(t: Trace, ms: float = 0.0) -> datetime:
    return datetime.fromtimestamp(round(t.start_s * 1000 + ms) / 1000, tz=UTC)


def iso_z(t: Trace, ms: float = 0.0) -> str:
    """ISO-8601 UTC with milliseconds and a Z."""
    return _dt(t, ms).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _meta(t: Trace) -> dict[str, Any]:
    return {"channel": t.extra["channel"], "app_version": APP_VERSION, "intent": t.scenario}


def _openai_messages(msgs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for m in msgs:
        if m["role"] == "tool":
            out.append({"role": "tool", "tool_call_id": m["tool_call_id"], "content": m["content"]})
        elif m.get("tool_calls"):
            out.append(
                {
                    "role": "assistant",
                    "content": m["content"],
                    "tool_calls": [
                        {
                            "id": c["id"],
                            "type": "function",
                            "function": {"name": c["name"], "arguments": dumps(c["arguments"])},
                        }
                        for c in m["tool_calls"]
                    ],
                }
            )
        else:
            out.append({"role": m["role"], "content": m["content"]})
    return out
