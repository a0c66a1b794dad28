"""Seeded, fake-but-realistic LLM judges over the bundled sample traces (no network, no model).

:func:`simulated_judges` returns three judge clients that read the rubric prompt like a real judge
would (the criteria and the answer format come from the system message, the response from the
``<response>`` tags), look the response up in the planted ground truth, and answer with known error
rates: ``judge_strict`` (accurate, expensive), ``judge_lenient`` (passes too much, cheap) and
``judge_verbose`` (favours long answers). Answers come in realistic shapes: JSON in code fences,
a sentence before the JSON, and now and then a truncated reply that a retry fixes. The same seed
gives the same verdicts whatever the concurrency.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from evalkit.judges import Judge

# which planted failure modes make each shipped rubric criterion fail
_BINARY_FAILS: dict[str, set[str]] = {
    "grounded_policy": {"hallucinated_policy", "ignored_context"},
    "concrete_next_step": {"no_next_step"},
    "correct_tool_use": {"invented_tool_params"},
    "in_scope": {"wrong_refusal", "out_of_scope"},
    "concise": {"overlong_answer"},
}
_DIMENSION_FAILS: dict[str, set[str]] = {
    "factual_accuracy": {"hallucinated_policy", "invented_tool_params"},
    "groundedness": {"ignored_context", "hallucinated_policy"},
    "completeness": {"no_next_step", "wrong_refusal", "out_of_scope"},
    "conciseness": {"overlong_answer"},
    "appropriate_uncertainty": {"wrong_refusal", "hallucinated_policy"},
}
_ANSWER_LINE = re.compile(r'"(\w+)": \{"(score|verdict)": (<(\d+)-(\d+)>|"A", "B"|"pass")')


@dataclass(frozen=True, slots=True, kw_only=True)
class _Truth:
    failure_mode: str
    severity: int
    chars: int


@dataclass(frozen=True, slots=True, kw_only=True)
class JudgeProfile:
    """How a simulated judge errs: per-question TPR/TNR, score noise and bias, position bias."""

    tpr: float
    tnr: float
    score_noise: float
    score_bias: float
    length_bias: float
    position_bias: float
    malformed_rate: float
    fenced: bool
    model: str
    price: tuple[float, float]


PROFILES: dict[str, JudgeProfile] = {
    "judge_strict": JudgeProfile(tpr=0.97, tnr=0.92, score_noise=0.12, score_bias=0.0,
                                 length_bias=0.0, position_bias=0.05, malformed_rate=0.01,
                                 fenced=False, model="sim-gpt-4o-2024-08-06",
                                 price=(2.50, 10.00)),
    "judge_lenient": JudgeProfile(tpr=0.99, tnr=0.70, score_noise=0.15, score_bias=0.2,
                                  length_bias=0.0, position_bias=0.10, malformed_rate=0.03,
                                  fenced=True, model="sim-gpt-4o-mini-2024-07-18",
                                  price=(0.15, 0.60)),
    "judge_verbose": JudgeProfile(tpr=0.95, tnr=0.85, score_noise=0.15, score_bias=0.0,
                                  length_bias=0.6, position_bias=0.30, malformed_rate=0.02,
                                  fenced=False, model="sim-claude-3-5-sonnet-20241022",
                                  price=(3.00, 15.00)),
}


def _u(*parts: Any) -> float:
    """A uniform number in [0, 1) from a hash of ``parts`` (order-free determinism)."""
    h = hashlib.sha256("\x1f".join(map(str, parts)).encode("utf-8")).digest()
    return int.from_bytes(h[:8], "big") / 2**64


class SimulatedJudge:
    """A judge client: ``judge(messages, **params) -> Completion`` (see the module docstring)."""

    def __init__(self, name: str, truth: Mapping[str, _Truth], *, seed: int = 0,
                 latency_ms: float = 0.0, profile: JudgeProfile | None = None) -> None:
        self.name = name
        self.profile = profile or PROFILES[name]
        self.model = self.profile.model
        self.price = self.profile.price
        self.params = {"temperature": 0}
        self._truth = truth
        self._seed = seed
        self._latency = latency_ms / 1000
        self._seen: set[str] = set()

    def _lookup(self, text: str) -> _Truth:
        hit = self._truth.get(text.strip())
        if hit is not None:
            return hit
        # unknown response: a stable made-up truth (about 30% fail)
        fail = _u("unknown", text) < 0.3
        return _Truth(failure_mode="unknown" if fail else "none", severity=2, chars=len(text))

    def _binary(self, crit: str, t: _Truth, key: str) -> bool:
        fails = _BINARY_FAILS.get(crit)
        truly_pass = (t.failure_mode not in fails) if fails is not None else (
            t.failure_mode == "none")
        p = self.profile
        # length bias: long answers pass more often, short ones less
        shift = p.length_bias * math.tanh((t.chars - 350) / 250) * 0.25
        p_pass = (p.tpr if truly_pass else 1 - p.tnr) + shift
        return _u(self._seed, self.name, key, crit) < min(max(p_pass, 0.0), 1.0)

    def _score(self, crit: str, t: _Truth, key: str, lo: int, hi: int) -> int:
        fails = _DIMENSION_FAILS.get(crit, set())
        u0, u1, u2 = (_u(self._seed, "truth", key, crit, i) for i in range(3))
        if t.failure_mode in fails or (crit not in _DIMENSION_FAILS and t.failure_mode != "none"):
            true = lo if t.severity >= 3 or u0 < 0.4 else lo + 1
        else:
            true = hi if u0 < 0.65 else hi - 1
        p = self.profile
        noise = -1 if u1 < p.score_noise / 2 else (1 if u1 > 1 - p.score_noise / 2 else 0)
        noise += 1 if u2 < p.score_bias else 0
        if _u(self._seed, self.name, "slip", key, crit) < 0.006:  # a rare big miss
            noise += 2 if true <= (lo + hi) / 2 else -2
        shift = p.length_bias * math.tanh((t.chars - 350) / 250)
        return int(min(max(round(true + noise + shift), lo), hi))

    def __call__(self, messages: list[dict[str, str]], **params: Any) -> Any:
        """Answer one rubric prompt."""
        from evalkit.judges import Completion

        if self._latency:
            time.sleep(self._latency)
        system = next((m["content"] for m in messages if m.get("role") == "system"), "")
        user = "\n".join(m["content"] for m in messages if m.get("role") == "user")
        specs = _ANSWER_LINE.findall(system)
        responses = dict(re.findall(r"<response(_A|_B|)>\n(.*?)\n</response\1>", user, re.S))
        key = hashlib.sha256(user.encode("utf-8")).hexdigest()[:16]
        answer: dict[str, dict[str, Any]] = {}
        for crit, kind, rng_text, lo, hi in specs:
            if kind == "score":
                t = self._lookup(responses.get("", ""))
                s = self._score(crit, t, key, int(lo), int(hi))
                answer[crit] = {"score": s, "explanation": _why(crit, s > int(lo) + 1)}
            elif rng_text.startswith('"A"'):
                answer[crit] = {"verdict": self._pairwise(responses, key, crit),
                                "explanation": "compared both responses against the articles"}
            else:
                ok = self._binary(crit, self._lookup(responses.get("", "")), key)
                answer[crit] = {"verdict": "pass" if ok else "fail", "explanation": _why(crit, ok)}
        text = json.dumps(answer)
        if _u(self._seed, self.name, "malformed", key) < self.profile.malformed_rate and (
                key not in self._seen):
            self._seen.add(key)
            text = text[: len(text) // 2]  # truncated reply; the retry gets a whole one
        elif self.profile.fenced:
            text = f"Here is my assessment.\n```json\n{text}\n```"
        prompt_chars = sum(len(m.get("content") or "") for m in messages)
        return Completion(text=text, input_tokens=math.ceil(prompt_chars / 4),
                          output_tokens=math.ceil(len(text) / 4))

    def _pairwise(self, responses: Mapping[str, str], key: str, crit: str) -> str:
        a, b = self._lookup(responses.get("_A", "")), self._lookup(responses.get("_B", ""))
        qa = (a.failure_mode == "none", -abs(a.chars - 300))
        qb = (b.failure_mode == "none", -abs(b.chars - 300))
        better = "A" if qa > qb else "B"
        u = _u(self._seed, self.name, "pair", key, crit)
        if u < self.profile.position_bias:
            return "A"  # picks whatever is shown first
        if u < self.profile.position_bias + 0.1:
            return "B" if better == "A" else "A"
        return better


def _why(crit: str, ok: bool) -> str:
    label = crit.replace("_", " ")
    return f"meets {label}" if ok else f"falls short on {label}"


def simulated_judges(traces: pd.DataFrame, *, seed: int = 0,
                     latency_ms: float = 0.0) -> dict[str, Judge]:
    """Three seeded simulated judges over the bundled sample traces.

    Parameters
    ----------
    traces : DataFrame
        The sample traces (``evalkit.load_traces("data/traces")``): their ``output`` text is
        joined to the planted ground truth by ``trace_id``. Other traces get a stable made-up truth.
    seed : int, default 0
    latency_ms : float, default 0
        Each call sleeps this long (to try concurrency without a network).

    Returns
    -------
    dict
        ``{"judge_strict": Judge, "judge_lenient": Judge, "judge_verbose": Judge}`` with pinned
        fake model names and list prices, ready for :func:`evalkit.judges.run_judges`.

    Examples
    --------
    >>> import pandas as pd
    >>> from evalkit.judges import load_example_rubric, run_judges
    >>> traces = pd.DataFrame({"trace_id": ["x"], "output": ["Open Billing > Refunds."]})
    >>> judges = simulated_judges(traces, seed=0)
    >>> sorted(judges)
    ['judge_lenient', 'judge_strict', 'judge_verbose']
    >>> out = run_judges(traces, load_example_rubric("support_bot_binary"), judges, cache=None,
    ...                  progress=False)
    >>> out["criterion"].nunique(), bool(out["error"].isna().all())
    (6, True)
    """
    import pandas as pd

    from evalkit.judges import Judge
    from evalkit.sample_data import load_ground_truth

    gt: dict[str, Mapping[Any, Any]] = {
        str(r["trace_id"]): r for r in load_ground_truth().to_dict("records")}
    truth: dict[str, _Truth] = {}
    if "output" in traces.columns:
        for tid, out in zip(traces["trace_id"].astype(str), traces["output"], strict=True):
            row = gt.get(tid)
            if row is not None and isinstance(out, str):
                sev = row["severity"]
                truth[out.strip()] = _Truth(
                    failure_mode=str(row["failure_mode"]),
                    severity=0 if pd.isna(sev) else int(sev),  # no severity on passing traces
                    chars=int(row["response_chars"]))
    judges: dict[str, Judge] = {}
    for name, prof in PROFILES.items():
        sim = SimulatedJudge(name, truth, seed=seed, latency_ms=latency_ms)
        judges[name] = Judge(sim, model=prof.model, params={"temperature": 0},
                             price=prof.price)
    return judges
