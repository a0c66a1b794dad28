"""Render data/README.md from the generated frames, so its numbers are always the realized ones."""

from __future__ import annotations

from itertools import combinations

import pandas as pd

from evalkit.sample_data import _labels
from evalkit.sample_data import _world as W
from evalkit.sample_data._records import Trace

MODE_TEXT = {
    "hallucinated_policy": "the answer states a policy that contradicts the retrieved KB article",
    "ignored_context": "the retrieved article had the answer; the reply is generic and ignores it",
    "invented_tool_params": "a tool is called with an id/email/region never given in the chat",
    "out_of_scope": "gives legal/tax/compliance advice it should decline and route",
    "no_next_step": "ends without a concrete next step for the customer",
    "overlong_answer": "rambling, several paragraphs of filler around the answer",
    "wrong_refusal": "refuses a legitimate request",
}
SEGMENT_WHERE = {
    "openai_chat": (
        "openai_chat.jsonl",
        "`response.id` (`chatcmpl-...`)",
        "`request.metadata.segment`",
    ),
    "otel_genai": (
        "otel_genai.json",
        "span `traceId` (32 hex)",
        "attribute `app.segment` on the root `invoke_agent` span",
    ),
    "openinference": (
        "openinference.json",
        "span `traceId` (32 hex)",
        "root AGENT span attribute `metadata` (a JSON string) -> `segment`",
    ),
    "langfuse": (
        "langfuse.json",
        "trace `id` (32 hex)",
        "`metadata.segment` of each trace (also `tags[0]`)",
    ),
    "langsmith": (
        "langsmith.jsonl",
        "`trace_id` (UUID; = the root run's `id`)",
        "`extra.metadata.segment` of the root run (`parent_run_id` null)",
    ),
    "support_csv": ("support.csv", "`trace_id` column (`acme-...`)", "`segment` column"),
}


def _md(df: pd.DataFrame) -> str:
    cols = list(df.columns)
    lines = ["| " + " | ".join(cols) + " |", "|" + "|".join("---" for _ in cols) + "|"]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join(lines)


def render(
    traces: list[Trace],
    gt: pd.DataFrame,
    judges: pd.DataFrame,
    humans: pd.DataFrame,
    sizes: dict[str, int],
) -> str:
    """Return the README text."""
    n = len(gt)
    n_fail = int((gt["true_verdict"] == "fail").sum())
    fmt_rows = pd.DataFrame(
        [
            {
                "file": f"`traces/{f}`",
                "traces": sum(t.format == k for t in traces),
                "native trace id": tid,
                "segment lives in": seg,
            }
            for k, (f, tid, seg) in SEGMENT_WHERE.items()
        ]
    )
    modes = gt[gt["failure_mode"] != "none"]
    mode_rows = pd.DataFrame(
        [
            {
                "failure_mode": f"`{m}`",
                "traces": int((modes["failure_mode"] == m).sum()),
                "what it looks like": MODE_TEXT[m],
            }
            for m in W.MODES
        ]
    )
    seg = gt.groupby("segment").agg(
        traces=("trace_id", "size"), fail_rate=("true_verdict", lambda s: (s == "fail").mean())
    )
    seg = seg.sort_values("traces", ascending=False).reset_index()
    seg["fail_rate"] = seg["fail_rate"].map("{:.0%}".format)
    j = judges.merge(gt[["trace_id", "true_verdict"]], on="trace_id")
    judge_rows = []
    for name, (model, tpr, tnr) in _labels.JUDGES.items():
        d = j[j["judge"] == name]
        pos, neg = d[d["true_verdict"] == "pass"], d[d["true_verdict"] == "fail"]
        judge_rows.append(
            {
                "judge": f"`{name}`",
                "judge_model": model,
                "TPR (target)": f"{(pos['verdict'] == 'pass').mean():.3f} ({tpr:.2f})",
                "TNR (target)": f"{(neg['verdict'] == 'fail').mean():.3f} ({tnr:.2f})",
                "pass rate": f"{(d['verdict'] == 'pass').mean():.3f}",
            }
        )
    wide = humans.pivot_table(
        index="trace_id", columns="annotator", values="verdict", aggfunc="first"
    )
    kap = pd.DataFrame(
        [
            {
                "pair": f"{a} / {b}",
                "Cohen's kappa": f"{_labels.kappa(wide[a].to_numpy(), wide[b].to_numpy()):.3f}",
            }
            for a, b in combinations(sorted(wide.columns), 2)
        ]
    )
    truth = gt.set_index("trace_id")["true_verdict"]
    acc = pd.DataFrame(
        [
            {
                "annotator": a,
                "accuracy vs truth": f"{(wide[a] == truth.loc[wide.index]).mean():.3f}",
            }
            for a in sorted(wide.columns)
        ]
    )
    total = sum(sizes.values())
    true_pass = (gt["true_verdict"] == "pass").mean()
    return f"""# evalkit sample data

Generated, fictional data for trying evalkit end to end: {n} conversations of **Acme Cloud**'s
customer-support assistant (a made-up SaaS hosting company) with retrieval from a small knowledge
base and tool calls (`lookup_account`, `get_invoice`, `reset_password`, `create_ticket`,
`check_service_status`, `issue_refund`), spread over six trace formats, plus the planted ground
truth, three human annotators and three LLM judges. Nothing here is real: names, emails, ids,
companies and policies are invented. The data is deterministic: every byte comes from
`python -m evalkit.sample_data --out data` (seed {W.SEED}); `--check` verifies it.

License: [CC0 1.0](https://creativecommons.org/publicdomain/zero/1.0/) (generated data, no rights
reserved). Total size: {total / 1e6:.2f} MB.

## Files

{_md(fmt_rows)}
| `ground_truth.csv` | {n} | `trace_id` (the native id above) | `segment` column |
| `labels/human.csv` | {humans["trace_id"].nunique()} (x 3 annotators) | `trace_id` | - |
| `labels/judges.csv` | {n} (x 3 judges) | `trace_id` | - |

`evalkit.load_traces("data/traces")` reads the whole folder into one canonical frame; each trace
keeps its format's native id, so every file joins on `trace_id`.

- **`ground_truth.csv`**: `trace_id, segment, true_verdict (pass/fail), failure_mode (a mode below
  or "none"), severity (1-3, empty for passes), response_chars, model`.
- **`labels/human.csv`** (long format): `trace_id, annotator, verdict, note, failure_modes
  (";"-joined), labeled_at`. `ann_alice`, `ann_bob` and `ann_carol` each label the same overlap
  set of {humans["trace_id"].nunique()} traces, stratified by segment with a floor of 15 per
  segment so the rare segments are represented. Notes describe the first thing that went wrong
  in each annotator's own words (empty for passes); they are the raw material for open coding.
- **`labels/judges.csv`**: `trace_id, judge, verdict, score, judge_model` for every trace and
  judge. The score is a 1-5 rubric and **verdict is "pass" iff score >= {_labels.PASS_SCORE}**.

## Planted failure modes

{n_fail} of {n} traces fail ({n_fail / n:.1%}); each failing trace has exactly one planted mode.

{_md(mode_rows)}

Traffic and failure rate by segment (the rare segments fail most often):

{_md(seg)}

Models: {", ".join(f"`{m}`" for m in W.MODELS)}. Costs are computed from token counts and list
prices; latency is right-skewed (log-normal model and tool times plus occasional slow retries).

## Judges (positive class = "pass"; realized against ground truth)

{_md(pd.DataFrame(judge_rows))}

`judge_strict` rarely passes a failure (its few misses are mostly `invented_tool_params`).
`judge_lenient` passes too much. `judge_verbose` is biased toward long answers: holding the truth
fixed, its pass rate rises with response length, so it passes nearly every `overlong_answer`.
True pass rate: {true_pass:.3f}.

## Human annotators (realized on the overlap set)

{_md(kap)}

{_md(acc)}

`ann_carol` is the outlier annotator: she misses subtle failures (invented tool parameters,
ignored context), tends to pass long answers, and her notes are terse.

## Regenerate

```bash
python -m evalkit.sample_data --out data          # rewrite everything
python -m evalkit.sample_data --out data --check  # verify (exit 1 naming the files that differ)
```
"""
