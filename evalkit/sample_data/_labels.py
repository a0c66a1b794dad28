"""Ground truth, three simulated LLM judges and three simulated human annotators.

Judges: ``judge_strict`` (TPR ~0.85, TNR ~0.92), ``judge_lenient`` (TPR ~0.97, TNR ~0.60) and
``judge_verbose`` (TPR ~0.90, TNR ~0.70, and the chance it passes an answer rises with the answer's
length whatever its quality). The positive class is "pass". Each judge's verdict count per true
class is fixed (rounded target rate x class size); *which* traces it gets wrong is drawn with
mode- or length-dependent weights. A judge's ``score`` (1-5 rubric) is >= 3 exactly when it passes.

Annotators: ann_alice and ann_bob are careful, ann_carol misses subtle failures and likes long
answers (the "outlier annotator"). Their error rates depend on the failure mode.
"""

from __future__ import annotations

from typing import Any, Final

import numpy as np
import pandas as pd

from evalkit.sample_data._records import Trace

#: judge -> (judge_model, target TPR, target TNR)
JUDGES: Final[dict[str, tuple[str, float, float]]] = {
    "judge_strict": ("gpt-4o-2024-08-06", 0.85, 0.92),
    "judge_lenient": ("gpt-4o-mini-2024-07-18", 0.97, 0.60),
    "judge_verbose": ("claude-3-5-haiku-20241022", 0.90, 0.70),
}
#: relative weight of being wrongly passed, by true failure mode
_FALSE_PASS_W: Final[dict[str, dict[str, float]]] = {
    "judge_strict": {
        "invented_tool_params": 4,
        "ignored_context": 2,
        "no_next_step": 1.5,
        "hallucinated_policy": 1,
        "overlong_answer": 1,
        "out_of_scope": 0.5,
        "wrong_refusal": 0.5,
    },
    "judge_lenient": {
        "invented_tool_params": 3,
        "no_next_step": 2.5,
        "overlong_answer": 2.5,
        "ignored_context": 2,
        "hallucinated_policy": 1,
        "out_of_scope": 0.7,
        "wrong_refusal": 0.4,
    },
}
PASS_SCORE: Final[int] = 3  # verdict is "pass" iff score >= PASS_SCORE

#: annotator -> (P(says fail | true pass), {mode: P(says pass | true fail)}, P(flags the true mode))
ANNOTATORS: Final[dict[str, tuple[float, dict[str, float], float]]] = {
    "ann_alice": (
        0.03,
        {
            "hallucinated_policy": 0.05,
            "ignored_context": 0.08,
            "invented_tool_params": 0.14,
            "out_of_scope": 0.03,
            "no_next_step": 0.06,
            "overlong_answer": 0.04,
            "wrong_refusal": 0.02,
        },
        0.94,
    ),
    "ann_bob": (
        0.04,
        {
            "hallucinated_policy": 0.05,
            "ignored_context": 0.06,
            "invented_tool_params": 0.1,
            "out_of_scope": 0.04,
            "no_next_step": 0.07,
            "overlong_answer": 0.05,
            "wrong_refusal": 0.03,
        },
        0.9,
    ),
    "ann_carol": (
        0.14,
        {
            "hallucinated_policy": 0.3,
            "ignored_context": 0.4,
            "invented_tool_params": 0.5,
            "out_of_scope": 0.2,
            "no_next_step": 0.35,
            "overlong_answer": 0.55,
            "wrong_refusal": 0.12,
        },
        0.7,
    ),
}
_CONFUSED: Final[dict[str, list[str]]] = {
    "hallucinated_policy": ["ignored_context", "out_of_scope"],
    "ignored_context": ["hallucinated_policy", "no_next_step"],
    "invented_tool_params": ["hallucinated_policy"],
    "out_of_scope": ["hallucinated_policy"],
    "no_next_step": ["overlong_answer", "ignored_context"],
    "overlong_answer": ["no_next_step"],
    "wrong_refusal": ["no_next_step"],
}
#: annotator -> mode -> note templates ({topic} is the conversation's topic)
NOTES: Final[dict[str, dict[str, list[str]]]] = {
    "ann_alice": {
        "hallucinated_policy": [
            "states {topic} policy that contradicts KB",
            "wrong policy on {topic} (KB says otherwise)",
            "made-up {topic} rule, not in KB",
        ],
        "ignored_context": [
            "KB had the {topic} answer, bot ignored it",
            "generic reply, didn't use retrieved {topic} article",
            "ignored KB doc on {topic}",
        ],
        "invented_tool_params": [
            "tool call uses id/email the user never gave",
            "hallucinated tool argument ({topic})",
            "looked up the wrong record, param not from convo",
        ],
        "out_of_scope": [
            "gave legal/tax advice, should decline",
            "answered out-of-scope question instead of routing",
            "legal advice given ({topic})",
        ],
        "no_next_step": [
            "no next step for the customer",
            "ends without telling user what to do",
            "no actionable next step ({topic})",
        ],
        "overlong_answer": [
            "way too long, rambling filler",
            "overlong; answer buried in filler",
            "verbose, 5+ paragraphs of fluff",
        ],
        "wrong_refusal": [
            "refused a legit {topic} request",
            "wrongly refused ({topic})",
            "unnecessary refusal",
        ],
        "_false": ["tone slightly off", "could cite the KB article", "a bit terse"],
    },
    "ann_bob": {
        "hallucinated_policy": [
            "The bot invented a {topic} policy that isn't in the KB.",
            "Policy stated about {topic} is wrong.",
            "Answer contradicts the knowledge base on {topic}.",
        ],
        "ignored_context": [
            "Retrieved article answered the question but the bot gave a generic reply.",
            "Doesn't use the KB info about {topic}.",
            "Vague answer even though the right doc was retrieved.",
        ],
        "invented_tool_params": [
            "Called the tool with an id the customer never mentioned.",
            "Tool arguments were made up.",
            "Wrong account/invoice looked up; the parameter isn't in the chat.",
        ],
        "out_of_scope": [
            "Gives legal advice; should have declined and escalated.",
            "Out of scope: answered a legal/tax question.",
            "Should not advise on this, needed a ticket.",
        ],
        "no_next_step": [
            "No clear next step for the user.",
            "Customer is left without an action to take.",
            "Missing next step.",
        ],
        "overlong_answer": [
            "Far too long and repetitive.",
            "Rambles for several paragraphs before the point.",
            "Answer is overly long.",
        ],
        "wrong_refusal": [
            "Refused a normal {topic} request.",
            "Refusal was not warranted here.",
            "Bot declined something it can help with.",
        ],
        "_false": [
            "Could be friendlier.",
            "Would like a link to the docs.",
            "Slightly unclear wording.",
        ],
    },
    "ann_carol": {
        "hallucinated_policy": [
            "wrong info about {topic}??",
            "this isn't our policy",
            "not what the docs say",
        ],
        "ignored_context": ["unhelpful", "didn't really answer", "meh, generic answer"],
        "invented_tool_params": [
            "weird lookup",
            "where did this number come from",
            "checked the wrong thing?",
        ],
        "out_of_scope": ["shouldn't say this!!", "legal stuff - not our job", "risky answer"],
        "no_next_step": ["what should the customer do now?", "no follow up", "leaves them hanging"],
        "overlong_answer": ["too long", "tl;dr", "wall of text"],
        "wrong_refusal": ["why refuse?", "should have helped", "bot said no for no reason"],
        "_false": ["don't like the tone", "confusing", "not sure this is right"],
    },
}
_LABEL_START: Final[dict[str, str]] = {
    "ann_alice": "2025-03-18T09:02:00Z",
    "ann_bob": "2025-03-19T13:15:00Z",
    "ann_carol": "2025-03-20T10:40:00Z",
}


def ground_truth(traces: list[Trace]) -> pd.DataFrame:
    """The planted truth, one row per trace."""
    return pd.DataFrame(
        {
            "trace_id": [t.trace_id for t in traces],
            "segment": [t.segment for t in traces],
            "true_verdict": [t.verdict for t in traces],
            "failure_mode": [t.mode for t in traces],
            "severity": pd.array([t.severity for t in traces], dtype="Int64"),
            "response_chars": [len(t.output) for t in traces],
            "model": [t.model for t in traces],
        }
    )


def _exact_pick(
    rng: np.random.Generator, idx: np.ndarray, rate: float, weights: np.ndarray
) -> np.ndarray:
    k = round(rate * len(idx))
    return rng.choice(idx, size=k, replace=False, p=weights / weights.sum())


def judges(gt: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Three judges' verdicts and 1-5 scores on every trace."""
    truth = gt["true_verdict"].to_numpy()
    modes = gt["failure_mode"].to_numpy()
    pos, neg = np.flatnonzero(truth == "pass"), np.flatnonzero(truth == "fail")
    loglen = np.log(gt["response_chars"].to_numpy(dtype=float))
    z = (loglen - loglen.mean()) / loglen.std()
    frames = []
    for judge, (model, tpr, tnr) in JUDGES.items():
        passed = np.zeros(len(gt), dtype=bool)
        if judge == "judge_verbose":
            passed[_exact_pick(rng, pos, tpr, np.exp(1.0 * z[pos]))] = True
            passed[_exact_pick(rng, neg, 1 - tnr, np.exp(2.5 * z[neg]))] = True
        else:
            w = _FALSE_PASS_W[judge]
            passed[_exact_pick(rng, pos, tpr, np.ones(len(pos)))] = True
            passed[_exact_pick(rng, neg, 1 - tnr, np.array([w[m] for m in modes[neg]]))] = True
        high = {
            "judge_strict": [0.2, 0.45, 0.35],
            "judge_lenient": [0.1, 0.4, 0.5],
            "judge_verbose": [0.1, 0.35, 0.55],
        }[judge]
        score = np.where(
            passed,
            rng.choice([3, 4, 5], size=len(gt), p=high),
            rng.choice([1, 2], size=len(gt), p=[0.45, 0.55]),
        )
        frames.append(
            pd.DataFrame(
                {
                    "trace_id": gt["trace_id"],
                    "judge": judge,
                    "verdict": np.where(passed, "pass", "fail"),
                    "score": score.astype(int),
                    "judge_model": model,
                    "_order": np.arange(len(gt)),
                }
            )
        )
    out = pd.concat(frames, ignore_index=True).sort_values(["_order", "judge"], kind="stable")
    return out.drop(columns="_order").reset_index(drop=True)


def overlap_set(
    gt: pd.DataFrame, rng: np.random.Generator, *, size: int = 240, floor: int = 15
) -> np.ndarray:
    """Row positions of the stratified overlap set: proportional, with a floor per segment."""
    counts = gt["segment"].value_counts().sort_index()
    take = {s: min(c, max(floor, round(size * c / len(gt)))) for s, c in counts.items()}
    while sum(take.values()) > size:  # trim the largest strata
        big = max(take, key=lambda s: take[s])
        take[big] -= 1
    picked = [
        rng.choice(np.flatnonzero(gt["segment"].to_numpy() == s), size=k, replace=False)
        for s, k in take.items()
    ]
    return np.sort(np.concatenate(picked))


def humans(gt: pd.DataFrame, traces: list[Trace], rng: np.random.Generator) -> pd.DataFrame:
    """Long-format human labels of the overlap set by the three annotators."""
    rows: list[dict[str, Any]] = []
    items = overlap_set(gt, rng)
    for ann, (fp, miss, p_mode) in ANNOTATORS.items():
        clock = pd.Timestamp(_LABEL_START[ann])
        notes = NOTES[ann]
        for pos in rng.permutation(items):
            t = traces[int(pos)]
            mode = t.mode
            says_fail = rng.random() < fp if mode == "none" else rng.random() >= miss[mode]
            flagged: list[str] = []
            note = ""
            if says_fail:
                if mode == "none":
                    seen = str(rng.choice(["no_next_step", "overlong_answer", "ignored_context"]))
                    note = str(rng.choice(notes["_false"]))
                    if rng.random() < 0.5:
                        flagged = [seen]
                else:
                    seen = mode if rng.random() < p_mode else str(rng.choice(_CONFUSED[mode]))
                    flagged = [seen]
                    if rng.random() < 0.1:
                        extra = str(rng.choice(_CONFUSED[seen]))
                        if extra not in flagged:
                            flagged.append(extra)
                    note = str(rng.choice(notes[seen])).format(topic=t.topic)
            clock += pd.Timedelta(
                seconds=round(float(rng.lognormal(np.log(40), 0.6)) + (25 if says_fail else 0))
            )
            rows.append(
                {
                    "trace_id": t.trace_id,
                    "annotator": ann,
                    "verdict": "fail" if says_fail else "pass",
                    "note": note,
                    "failure_modes": ";".join(flagged),
                    "labeled_at": clock.strftime("%Y-%m-%dT%H:%M:%SZ"),
                }
            )
    return pd.DataFrame(rows)


def kappa(a: np.ndarray, b: np.ndarray) -> float:
    """Cohen's kappa of two label vectors (for the README; tests cross-check with sklearn)."""
    table = pd.crosstab(a, b).to_numpy(dtype=float)
    n = table.sum()
    po = np.trace(table) / n
    pe = float((table.sum(0) * table.sum(1)).sum()) / n**2
    return float((po - pe) / (1 - pe))
