"""Write the OpenAI chat-completions log: request/response pairs, one JSON object per line."""

from __future__ import annotations

import numpy as np

from evalkit.sample_data import _world as W
from evalkit.sample_data._rand import rand_hex
from evalkit.sample_data._records import Trace
from evalkit.sample_data._writers._common import APP_VERSION, _openai_messages, dumps


def _context_message(t: Trace) -> str:
    docs = "\n\n".join(
        f"[{d['id']}] {d['title']} (score {d['score']:.2f})\n{d['text']}" for d in t.retrieved
    )
    return "Knowledge base results for the customer's question:\n\n" + docs


def openai_chat(traces: list[Trace], rng: np.random.Generator) -> str:
    """OpenAI chat-completions request/response log pairs, one JSON object per line."""
    tools = [{"type": "function", "function": {"name": k, **v}} for k, v in W.TOOLS.items()]
    lines = []
    for t in traces:
        final = t.calls[-1]
        msgs = _openai_messages(final.input_messages)
        msgs.insert(1, {"role": "system", "content": _context_message(t)})
        request = {
            "model": t.model,
            "messages": msgs,
            "tools": tools,
            "temperature": 0.2,
            "user": t.user_id,
            "store": True,
            "metadata": {
                "segment": t.segment,
                "session_id": t.session_id,
                "channel": t.extra["channel"],
                "app_version": APP_VERSION,
                "intent": t.scenario,
            },
        }
        response = {
            "id": final.response_id,
            "object": "chat.completion",
            "created": int(t.start_s + final.start_ms / 1000),
            "model": t.model,
            "system_fingerprint": "fp_" + rand_hex(rng, 5),
            "choices": [
                {
                    "index": 0,
                    "logprobs": None,
                    "finish_reason": final.finish_reason,
                    "message": {
                        "role": "assistant",
                        "content": final.output["content"],
                        "refusal": None,
                    },
                }
            ],
            "usage": {
                "prompt_tokens": final.input_tokens,
                "completion_tokens": final.output_tokens,
                "total_tokens": final.input_tokens + final.output_tokens,
            },
        }
        lines.append(dumps({"request": request, "response": response}))
    return "\n".join(lines) + "\n"
