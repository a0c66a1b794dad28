"""Sample runs for releases and drift (``data/runs/``): deterministic, from the seed alone.

* ``baseline.csv`` / ``candidate.csv``: two runs over one 600-case eval set (``case_id, segment,
  verdict``); the candidate improves the average but regresses the rare ``data_privacy`` segment.
* ``history.csv``: six weekly runs of eval-set version ``v1`` (``run_id, at, model, prompt_hash,
  eval_set_version, case_id, segment, verdict``), two prompt releases and a silent provider
  change in week five (same model name, same prompt, worse answers in two segments).
* ``active.csv`` / ``holdout.csv``: the golden set's active pool (tuned against) and sealed
  holdout, for the contamination gap.
* ``canary.csv``: production traces of a control arm (cheap model, long sessions) and a canary
  (pricier model, shorter sessions) with session ids, timestamps, outcome columns, cost and a
  verdict per trace.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit.sample_data import RUN_FILES as FILES  # the package lists every file it writes

RARE = "data_privacy"
DRIFTED = ("billing", "technical_howto")
_WEEKS = [  # (run id, date, prompt hash, silent provider change)
    ("r2025-01-06", "2025-01-06T09:00:00Z", "p-3f2a", False),
    ("r2025-01-13", "2025-01-13T09:00:00Z", "p-3f2a", False),
    ("r2025-01-20", "2025-01-20T09:00:00Z", "p-7c1d", False),
    ("r2025-01-27", "2025-01-27T09:00:00Z", "p-7c1d", False),
    ("r2025-02-03", "2025-02-03T09:00:00Z", "p-7c1d", True),
    ("r2025-02-10", "2025-02-10T09:00:00Z", "p-a9e0", True),
]
_QUESTIONS = ["How do I rotate my API key?", "Why was I charged twice?",
              "Can you reset my password?", "Is the EU region down?", "Where is my refund?"]
_FOLLOW = ["And what about the second one?", "Sorry, which page is that?",
           "Does that also apply to teams?"]
_STATEMENTS = ["Thanks.", "OK, done.", "Great, that worked."]


def _csv(df: pd.DataFrame) -> str:
    return df.to_csv(index=False, lineterminator="\n", float_format="%.6f")


def _verdict(ok: np.ndarray) -> np.ndarray:
    return np.where(ok, "pass", "fail")


def _pair_runs(segments: np.ndarray, rng: np.random.Generator) -> tuple[str, str]:
    n = segments.size
    ids = np.array([f"case-{i:04d}" for i in range(n)])
    u = rng.random(n)  # one draw per case: both runs see the same case difficulty
    base_p = np.where(segments == RARE, 0.84, 0.78)
    cand_p = np.where(segments == RARE, 0.52, 0.86)
    base = pd.DataFrame({"case_id": ids, "segment": segments, "verdict": _verdict(u < base_p)})
    cand = pd.DataFrame({"case_id": ids, "segment": segments, "verdict": _verdict(u < cand_p)})
    return _csv(base), _csv(cand)


def _history(segments: np.ndarray, rng: np.random.Generator) -> str:
    n = segments.size
    ids = np.array([f"case-{i:04d}" for i in range(n)])
    easy = rng.random(n) < 0.86
    p_case = np.where(easy, 0.985, rng.uniform(0.2, 0.7, n))
    hit = np.isin(segments, DRIFTED) & easy & (rng.random(n) < 0.35)
    frames = []
    for k, (rid, at, prompt, silent) in enumerate(_WEEKS):
        p = p_case - 0.01 * (k >= 2)  # the second prompt costs a point
        if silent:
            p = np.where(hit, 0.55, p)  # the provider changed the model behind the same name
        if k == 5:
            p = np.where(hit, 0.75, p)  # the third prompt recovers part of it
        ok = rng.random(n) < p
        frames.append(pd.DataFrame({
            "run_id": rid, "at": at, "model": "gpt-4o", "prompt_hash": prompt,
            "eval_set_version": "v1", "case_id": ids, "segment": segments,
            "verdict": _verdict(ok)}))
    return _csv(pd.concat(frames, ignore_index=True))


def _pools(segments: np.ndarray, rng: np.random.Generator) -> tuple[str, str]:
    n = segments.size
    holdout = rng.random(n) < 0.3
    seg_shift = {s: rng.uniform(0.0, 0.12) for s in sorted(set(segments))}
    gap = np.array([seg_shift[s] for s in segments])
    p = np.where(holdout, 0.80, 0.80 + gap)
    ok = rng.random(n) < p
    df = pd.DataFrame({"case_id": [f"gold-{i:04d}" for i in range(n)], "segment": segments,
                       "verdict": _verdict(ok)})
    return _csv(df[~holdout]), _csv(df[holdout])


def _canary(segments: np.ndarray, rng: np.random.Generator) -> str:
    rows = []
    t0 = np.datetime64("2025-02-17T00:00:00", "s")
    arms = (("control", "gpt-4o-mini", 0.0021, 2.0, 0.78, 0.08),
            ("canary", "gpt-4o", 0.0045, 0.05, 0.81, 0.07))
    for arm, model, cost, extra_turns, p_done, p_esc in arms:
        for s in range(500):
            sid = f"{arm[:2]}-{s:04d}"
            seg = segments[rng.integers(segments.size)]
            turns = 1 + rng.poisson(extra_turns)
            done = rng.random() < p_done
            esc = (not done) and rng.random() < p_esc / (1 - p_done)
            start = t0 + np.timedelta64(int(rng.integers(0, 7 * 86400)), "s")
            for k in range(turns):
                at = start + np.timedelta64(int(k * rng.integers(20, 400)), "s")
                text = _QUESTIONS[rng.integers(5)] if k == 0 else (
                    _FOLLOW[rng.integers(3)] if rng.random() < 0.6 else
                    _STATEMENTS[rng.integers(3)])
                last = k == turns - 1
                fb = rng.random()
                rows.append({
                    "trace_id": f"{sid}-{k}", "session_id": sid,
                    "timestamp": f"{at!s}Z", "segment": seg, "arm": arm, "model": model,
                    "input": text, "escalated": bool(last and esc),
                    "task_completed": bool(last and done),
                    "feedback": ("up" if done else "down") if fb < 0.25 else "",
                    "cost_usd": round(float(cost * rng.gamma(4.0, 0.25)), 6),
                    "verdict": "pass" if (done if last else rng.random() < 0.7) else "fail",
                })
    return _csv(pd.DataFrame(rows))


_README = """# data/runs: releases and drift (generated)

Files for `notebooks/06_releases_and_drift.ipynb`, written by
`python -m evalkit.sample_data --out data` (module `evalkit/sample_data/_releases.py`).

- `baseline.csv`, `candidate.csv` (one row per case: `case_id, segment, verdict`): the
  candidate improves the average but the rare `data_privacy` segment regresses.
- `history.csv` (one row per run and case: `run_id, at, model, prompt_hash, eval_set_version,
  case_id, segment, verdict`): six weekly runs of eval set `v1`; prompts change in weeks 3 and
  6; in week 5 the provider silently changed the model behind the same name (billing and
  technical_howto get worse).
- `active.csv`, `holdout.csv` (`case_id, segment, verdict`): the golden set's active pool and
  its sealed holdout.
- `canary.csv` (one row per trace: `trace_id, session_id, timestamp, segment, arm, model,
  input, escalated, task_completed, feedback, cost_usd, verdict`): a control arm (cheap model,
  long sessions) and a canary (pricier model, shorter sessions).
"""


def render(gt: pd.DataFrame, seed: int) -> dict[str, str]:
    """Return ``{relative path: text}`` for every file under ``runs/``."""
    segments = gt["segment"].astype(str).to_numpy()
    base, cand = _pair_runs(segments, np.random.default_rng([seed, 40]))
    active, holdout = _pools(segments, np.random.default_rng([seed, 42]))
    texts = {
        "runs/README.md": _README,
        "runs/baseline.csv": base,
        "runs/candidate.csv": cand,
        "runs/history.csv": _history(segments, np.random.default_rng([seed, 41])),
        "runs/active.csv": active,
        "runs/holdout.csv": holdout,
        "runs/canary.csv": _canary(segments, np.random.default_rng([seed, 43])),
    }
    assert set(texts) == set(FILES)
    return texts
