"""Generate the canonical sample traces (format-free dicts) with planted failure modes."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

from evalkit.sample_data import _world as W
from evalkit.sample_data._answers import _answer, _oos_good
from evalkit.sample_data._rand import _pick, _weighted, rand_alnum, rand_hex, rand_uuid
from evalkit.sample_data._records import LLMCall, ToolRun, Trace
from evalkit.sample_data._scenarios import SCENARIOS, Scenario
from evalkit.sample_data._scenarios import _phrases as P
from evalkit.sample_data._tools import _call_id, _tool_args, _tool_result


def _tokens(chars: int) -> int:
    return max(1, math.ceil(chars / 3.9))


def _slots(rng: np.random.Generator) -> dict[str, str]:
    first, last = _pick(rng, W.FIRST_NAMES), _pick(rng, W.LAST_NAMES)
    co = _pick(rng, W.COMPANIES)
    app = _pick(rng, W.APPS)
    return {
        "name": first.capitalize(),
        "email": f"{first}.{last}@{co}",
        "invoice": f"INV-2025-{int(rng.integers(1000, 99999)):06d}",
        "amount": f"{float(rng.choice([19, 49, 99, 249, 499, 1188])):.2f}",
        "plan": _pick(rng, ("Pro", "Business", "Business", "Enterprise", "Starter")),
        "app": app,
        "domain": _pick(rng, W.DOMAINS).format(co=co),
        "region": _pick(rng, W.REGIONS),
        "service": _pick(rng, W.SERVICES),
        "days": str(int(rng.integers(2, 13))),
        "incident": f"INC-2025-{int(rng.integers(100, 999)):04d}",
        "ticket": f"SUP-{int(rng.integers(40000, 99999))}",
    }


def _fake(rng: np.random.Generator, slot: str, real: str) -> str:
    """An id of the same shape as ``real`` that the conversation never mentions."""
    while True:
        if slot == "email":
            value = (
                f"{_pick(rng, W.FIRST_NAMES)}.{_pick(rng, W.LAST_NAMES)}@"
                f"{_pick(rng, ('example.com', 'acme-customer.com', 'gmail.com'))}"
            )
        elif slot == "invoice":
            value = f"INV-2025-{int(rng.integers(1000, 99999)):06d}"
        else:
            value = _pick(rng, W.REGIONS)
        if value != real:
            return value


_OOS_TOPIC = {
    "billing": "tax question",
    "technical_howto": "compliance question",
    "data_privacy": "GDPR question",
    "legal_threats": "liability question",
}
_MENTION = {
    "email": " My email is {email}.",
    "invoice": " Invoice: {invoice}.",
    "region": " We're in {region}.",
}


def generate_traces(seed: int = W.SEED, n: int = W.N_TRACES) -> list[Trace]:
    """Generate ``n`` traces, sorted by start time, with formats and native ids assigned."""
    rng = np.random.default_rng(seed)
    seg_names = list(W.SEGMENTS)
    seg_p = np.array([W.SEGMENTS[s][0] for s in seg_names])
    model_names = list(W.MODELS)
    model_p = np.array([W.MODELS[m][1] for m in model_names])
    by_segment: dict[str, list[Scenario]] = {s: [] for s in seg_names}
    for sc in SCENARIOS:
        by_segment[sc["segment"]].append(sc)
    users = [f"user_{i:04d}" for i in rng.choice(9000, size=380, replace=False)]
    model_factor = {"gpt-4o-mini": 1.12, "claude-3-5-haiku-20241022": 1.0, "gpt-4o": 0.75}

    # start times: 14 days, business hours weighted (UTC)
    hour_w = np.array(
        [1, 1, 1, 1, 1, 2, 3, 5, 8, 10, 10, 9, 8, 9, 10, 10, 9, 7, 5, 4, 3, 2, 2, 1.0]
    )
    days = rng.integers(0, 14, size=n)
    hours = rng.choice(24, size=n, p=hour_w / hour_w.sum())
    secs = rng.integers(0, 3600, size=n) + rng.integers(0, 1000, size=n) / 1000
    starts = np.sort(W.EPOCH_S + days * 86400 + hours * 3600 + secs)

    traces: list[Trace] = []
    for i in range(n):
        segment = seg_names[int(rng.choice(len(seg_names), p=seg_p))]
        model = model_names[int(rng.choice(len(model_names), p=model_p))]
        provider, _, p_in, p_out, ms_tok = W.MODELS[model]
        _share, fail_rate, mode_w = W.SEGMENTS[segment]
        fails = rng.random() < min(0.95, fail_rate * model_factor[model])
        mode = _weighted(rng, mode_w) if fails else "none"
        candidates = by_segment[segment]
        if mode == "invented_tool_params":
            candidates = [c for c in candidates if c["tool"] and c["tool"][1] != "legal"]
        sc = _pick(rng, candidates)
        slots = _slots(rng)
        if sc["key"] == "refund_annual":
            slots["days"] = str(int(rng.integers(3, 28)))

        # ---- the question (and whether a tool is used)
        use_tool = sc["tool"] is not None and (
            mode == "invented_tool_params" or rng.random() < sc["tool_p"]
        )
        if mode in ("wrong_refusal", "out_of_scope", "ignored_context"):
            use_tool = use_tool and sc["tool"][1] == "legal" and mode != "wrong_refusal"
        slot = sc["tool"][1] if sc["tool"] else ""
        if mode == "out_of_scope":
            oos = P.OUT_OF_SCOPE[segment]
            slots["oos"] = str(int(rng.integers(len(oos["questions"]))))
            question = oos["questions"][int(slots["oos"])]
        else:
            templates = sc["questions"]
            if use_tool and slot in _MENTION:
                with_slot = [q for q in templates if "{" + slot + "}" in q]
                without = [q for q in templates if "{" + slot + "}" not in q]
                if mode == "invented_tool_params" and without and rng.random() < 0.5:
                    templates = without  # the id/email is never mentioned at all
                elif with_slot:
                    templates = with_slot
                else:
                    templates = [_pick(rng, without) + _MENTION[slot]]
            question = _pick(rng, templates).format(**slots)

        # ---- conversation history before the question
        history: list[dict[str, Any]] = []
        r = rng.random()
        if r < 0.3:
            u, a = _pick(rng, P.GREETINGS)
            history = [_msg("user", u), _msg("assistant", a)]
        elif r < 0.45:
            us, a = P.CLARIFY[segment]
            history = [_msg("user", _pick(rng, us)), _msg("assistant", a)]

        # ---- retrieval
        distractors = [k for k in W.KB if k != sc["kb"]]
        same_seg = [k for k in distractors if k[:5] == sc["kb"][:5]]
        k_docs = int(rng.integers(2, 5))
        pool = same_seg + distractors
        chosen: list[str] = [sc["kb"]]
        for j in rng.permutation(len(pool)):
            if len(chosen) >= k_docs:
                break
            if pool[j] not in chosen and (pool[j] in same_seg or rng.random() < 0.25):
                chosen.append(pool[j])
        scores = [round(float(rng.uniform(0.78, 0.94)), 4)]
        scores += [round(float(rng.uniform(0.41, 0.74)), 4) for _ in chosen[1:]]
        ranked = sorted(zip(scores, chosen, strict=True), key=lambda p: -p[0])
        retrieved: list[dict[str, Any]] = [
            {"id": k, "title": W.KB[k][0], "text": W.KB[k][1], "score": s} for s, k in ranked
        ]

        # ---- timings, tool and calls
        t = 0.0
        retr = (t, t + float(rng.lognormal(math.log(85), 0.4)))
        t = retr[1] + float(rng.uniform(2, 12))
        system = _msg("system", W.SYSTEM_PROMPT)
        context_chars = sum(len(W.KB[k][0]) + len(W.KB[k][1]) + 24 for k in chosen)
        convo: list[dict[str, Any]] = [system, *history, _msg("user", question)]
        calls: list[LLMCall] = []
        tools: list[ToolRun] = []
        tool_say = ""
        slow = 1.0 if rng.random() > 0.05 else float(rng.uniform(3, 7))

        if use_tool:
            name = sc["tool"][0]
            real = slots.get(slot, "")
            value = _fake(rng, slot, real) if mode == "invented_tool_params" else real
            args = _tool_args(name, slot, value, slots, question)
            cid = _call_id(rng, provider)
            call_msg = {
                "role": "assistant",
                "content": None,
                "tool_calls": [{"id": cid, "name": name, "arguments": args}],
                "tool_call_id": None,
                "name": None,
            }
            call = _llm_call(
                rng, convo, call_msg, "tool_calls", t, context_chars, slow, ms_tok, provider
            )
            calls.append(call)
            t = call.end_ms + float(rng.uniform(1, 6))
            result, tool_say = _tool_result(rng, name, args, slots, sc["key"])
            dur = float(rng.lognormal(math.log(170), 0.7))
            tools.append(ToolRun(cid, name, args, result, t, t + dur))
            t += dur + float(rng.uniform(1, 5))
            convo += [
                call_msg,
                {
                    "role": "tool",
                    "content": json.dumps(result, sort_keys=True),
                    "tool_calls": None,
                    "tool_call_id": cid,
                    "name": name,
                },
            ]
        if (
            use_tool
            and segment == "legal_threats"
            and mode == "none"
            and question in P.OUT_OF_SCOPE["legal_threats"]["questions"]
            and rng.random() < 0.4
        ):
            answer = _oos_good(rng, slots)
        else:
            answer = _answer(rng, mode, sc, slots, tool_say)
        final = _msg("assistant", answer)
        call = _llm_call(rng, convo, final, "stop", t, context_chars, slow, ms_tok, provider)
        calls.append(call)
        t = call.end_ms + float(rng.uniform(1, 6))
        messages = [*convo, final]
        latency = t + float(rng.uniform(8, 40))
        cost = sum(c.input_tokens * p_in + c.output_tokens * p_out for c in calls) / 1e6

        severity = None
        if mode != "none":
            sw = np.array(W.SEVERITY[mode])
            severity = int(rng.choice([1, 2, 3], p=sw / sw.sum()))
        session = f"sess_{rand_hex(rng, 6)}"
        traces.append(
            Trace(
                index=i,
                segment=segment,
                scenario="general_question" if mode == "out_of_scope" else sc["key"],
                topic=_OOS_TOPIC[segment] if mode == "out_of_scope" else sc["topic"],
                model=model,
                provider=provider,
                mode=mode,
                severity=severity,
                start_s=round(float(starts[i]), 3),
                session_id=session,
                user_id=_pick(rng, users),
                messages=messages,
                query=question,
                retrieved=retrieved,
                retrieval_ms=retr,
                calls=calls,
                tools=tools,
                latency_ms=round(latency, 1),
                cost_usd=round(cost, 7),
                extra={"channel": _pick(rng, W.CHANNELS)},
            )
        )

    _assign_formats(rng, traces)
    return traces


def _llm_call(
    rng: np.random.Generator,
    inp: list[dict[str, Any]],
    out: dict[str, Any],
    finish: str,
    start: float,
    context_chars: int,
    slow: float,
    ms_tok: float,
    provider: str,
) -> LLMCall:
    """Token counts, timing and a provider-shaped response id for one model call."""
    chars = (
        sum(len(m.get("content") or "") + len(json.dumps(m.get("tool_calls") or [])) for m in inp)
        + context_chars
    )
    n_in = _tokens(chars) + 410  # tool schemas
    n_out = _tokens(len(out.get("content") or "") + len(json.dumps(out.get("tool_calls") or [])))
    ttft = float(rng.lognormal(math.log(420), 0.45)) * slow
    dur = ttft + n_out * ms_tok * float(rng.lognormal(0, 0.15))
    rid = (
        ("chatcmpl-" + rand_alnum(rng, 29))
        if provider == "openai"
        else ("msg_01" + rand_alnum(rng, 22))
    )
    return LLMCall([dict(m) for m in inp], out, n_in, n_out, start, start + dur, rid, finish)


def _msg(role: str, content: str) -> dict[str, Any]:
    return {
        "role": role,
        "content": content,
        "tool_calls": None,
        "tool_call_id": None,
        "name": None,
    }


def _assign_formats(rng: np.random.Generator, traces: list[Trace]) -> None:
    """Give each trace a format (OpenAI logs only hold OpenAI models) and a native trace id."""
    openai_idx = [t.index for t in traces if t.provider == "openai"]
    n_openai = W.FORMATS["openai_chat"]
    picked = {int(i) for i in rng.choice(openai_idx, size=n_openai, replace=False)}
    rest = [t.index for t in traces if t.index not in picked]
    order = rng.permutation(len(rest))
    fmt_of: dict[int, str] = dict.fromkeys(picked, "openai_chat")
    pos = 0
    for fmt, count in W.FORMATS.items():
        if fmt == "openai_chat":
            continue
        for j in order[pos : pos + count]:
            fmt_of[rest[int(j)]] = fmt
        pos += count
    for t in traces:
        t.format = fmt_of[t.index]
        if t.format == "openai_chat":
            t.trace_id = t.calls[-1].response_id
        elif t.format in ("otel_genai", "openinference", "langfuse"):
            t.trace_id = rand_hex(rng, 16)
        elif t.format == "langsmith":
            t.trace_id = rand_uuid(rng)
        else:
            t.trace_id = f"acme-{rand_hex(rng, 6)}"
