"""Compose the assistant's final answer for a scenario, a failure mode and the trace's slots."""

from __future__ import annotations

import numpy as np

from evalkit.sample_data._rand import _pick
from evalkit.sample_data._scenarios import Scenario
from evalkit.sample_data._scenarios import _phrases as P


def _answer(
    rng: np.random.Generator, mode: str, sc: Scenario, slots: dict[str, str], tool_say: str
) -> str:
    fmt = slots | {"comma_name": f", {slots['name']}" if rng.random() < 0.5 else ""}
    ack = _pick(rng, P.ACKS).format(**fmt)
    fact = _pick(rng, sc["facts"]).format(**fmt)
    fact2 = _pick(rng, sc["facts2"]).format(**fmt) if sc["facts2"] and rng.random() < 0.7 else ""
    nxt = _pick(rng, sc["next"]).format(**fmt)
    closing = _pick(rng, P.CLOSINGS)
    seg = sc["segment"]
    if mode == "none":
        parts = [ack, tool_say, fact, fact2, nxt, closing]
    elif mode == "hallucinated_policy":
        parts = [ack, tool_say, _pick(rng, sc["false"]).format(**fmt), nxt, closing]
    elif mode == "ignored_context":
        generic = _pick(rng, P.GENERIC_NON_ANSWERS[seg])
        tail = _pick(
            rng,
            [
                "Let me know if you have other questions.",
                "You could also search our docs for more information.",
                "Feel free to reach out again if it keeps happening.",
            ],
        )
        parts = [ack, generic, tail]
    elif mode == "invented_tool_params":
        parts = [ack, tool_say, fact, nxt, closing]
    elif mode == "out_of_scope":
        parts = [ack, P.OUT_OF_SCOPE[seg]["bad"][int(slots["oos"])], closing]
    elif mode == "no_next_step":
        parts = [ack, tool_say, fact if rng.random() < 0.7 else "", _pick(rng, P.VAGUE_ENDINGS)]
    elif mode == "overlong_answer":
        k = int(rng.integers(6, 11))
        pool = P.RAMBLE_BY_SEGMENT[seg] + P.RAMBLE
        ramble = [pool[i] for i in rng.permutation(len(pool))[:k]]
        head = " ".join(p for p in (ack, tool_say, fact, fact2) if p)
        return "\n\n".join([head, *ramble, nxt + (" " + closing if closing else "")])
    elif mode == "wrong_refusal":
        parts = [
            _pick(rng, P.REFUSALS).format(topic=sc["topic"]),
            _pick(rng, ["", "Is there anything else I can help with?"]),
        ]
    else:  # pragma: no cover - MODES is closed
        raise ValueError(mode)
    return " ".join(p for p in parts if p)


def _oos_good(rng: np.random.Generator, slots: dict[str, str]) -> str:
    return _pick(rng, P.OOS_GOOD).format(**slots)
