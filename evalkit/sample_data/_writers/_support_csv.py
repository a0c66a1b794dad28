"""Write the flat support CSV: the canonical columns, list and dict columns JSON-encoded."""

from __future__ import annotations

import csv
import io

import numpy as np

from evalkit.sample_data._records import Trace
from evalkit.sample_data._writers._common import _meta, dumps, iso_z

CSV_COLUMNS = [
    "trace_id",
    "timestamp",
    "session_id",
    "user_id",
    "segment",
    "model",
    "input",
    "output",
    "messages",
    "tool_calls",
    "retrieved",
    "latency_ms",
    "input_tokens",
    "output_tokens",
    "cost_usd",
    "metadata",
]


def support_csv(traces: list[Trace], rng: np.random.Generator) -> str:
    """Flat CSV with the canonical columns; list/dict columns are JSON-encoded."""
    del rng
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for t in traces:
        msgs = [
            {
                "role": m["role"],
                "content": m["content"],
                "tool_calls": None if not m.get("tool_calls") else m["tool_calls"],
                "tool_call_id": m["tool_call_id"],
                "name": m["name"],
            }
            for m in t.messages
        ]
        tool_calls = [
            {"name": r.name, "arguments": r.arguments, "result": r.result} for r in t.tools
        ]
        retrieved = [{"id": d["id"], "text": d["text"], "score": d["score"]} for d in t.retrieved]
        w.writerow(
            [
                t.trace_id,
                iso_z(t),
                t.session_id,
                t.user_id,
                t.segment,
                t.model,
                t.input,
                t.output,
                dumps(msgs),
                dumps(tool_calls),
                dumps(retrieved),
                f"{t.latency_ms:.1f}",
                t.input_tokens,
                t.output_tokens,
                f"{t.cost_usd:.7f}",
                dumps(_meta(t)),
            ]
        )
    return buf.getvalue()
