"""The tidy verdict frame of a judge run, and the run's cost summary.

One row per (trace, judge, criterion) (plus an ``overall`` row when the rubric has several
criteria), in trace order then judge order. The frame goes as it is into
:func:`evalkit.judges.ensemble_rubric`, and, one criterion and one judge at a time, into
:func:`evalkit.calibrate`, :func:`evalkit.judges.ensemble_judges` and
``LabelStore.import_labels``.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from evalkit.judges._cache import CachedReply
    from evalkit.judges._clients import Judge
    from evalkit.judges._parse import Answer
    from evalkit.judges.rubric import Rubric

#: Columns of every verdict frame, in order.
VERDICT_COLUMNS: tuple[str, ...] = (
    "trace_id", "judge", "criterion", "verdict", "score", "explanation", "model",
    "input_tokens", "output_tokens", "tokens_estimated", "cost_usd", "latency_ms", "cache_hit",
    "attempts", "error", "rubric", "rubric_version", "rubric_hash",
)


@dataclass
class Outcome:
    """What one (judge, trace content) call produced: an answer, or an error, and its usage."""

    answer: dict[str, list[Any]] | None = None
    raw_text: str = ""
    input_tokens: int = 0
    output_tokens: int = 0
    tokens_estimated: bool = False
    cost_usd: float = 0.0
    latency_ms: float = float("nan")
    attempts: int = 0
    error: str | None = None
    cache_hit: bool = False
    skipped: bool = False

    @classmethod
    def from_cache(cls, hit: CachedReply) -> Outcome:
        """A cache hit: the stored answer and usage; this run paid nothing."""
        return cls(answer=hit.answer, raw_text=hit.raw_text, input_tokens=hit.input_tokens,
                   output_tokens=hit.output_tokens, cost_usd=0.0, latency_ms=hit.latency_ms,
                   attempts=0, cache_hit=True)

    def add_usage(self, tin: int, tout: int, estimated: bool, cost: float) -> None:
        """Add one attempt's tokens and cost (failed attempts cost money too)."""
        self.input_tokens += tin
        self.output_tokens += tout
        self.tokens_estimated = self.tokens_estimated or estimated
        self.cost_usd += cost

    def set_answer(self, answer: dict[str, Answer]) -> None:
        """Store a parsed answer (clears any error left by a failed earlier attempt)."""
        self.answer = {k: [a.verdict, a.score, a.explanation] for k, a in answer.items()}
        self.error = None


def _criterion_cells(answers: list[dict[str, list[Any]] | None], crits: list[str],
                     overall: bool) -> tuple[Any, Any, Any]:
    """Verdict, score and explanation arrays (calls x criteria, plus ``overall``)."""
    n, m = len(answers), len(crits)
    k = m + overall
    verdict = np.full((n, k), None, dtype=object)
    score = np.full((n, k), np.nan)
    expl = np.full((n, k), "", dtype=object)
    valid = np.array([a is not None for a in answers], dtype=bool)
    got = [a for a in answers if a is not None]
    for j, c in enumerate(crits):
        if got:
            verdict[valid, j] = [a[c][0] for a in got]
            score[valid, j] = [float(a[c][1]) for a in got]
            expl[valid, j] = [str(a[c][2]) for a in got]
    if overall and got:
        passed = verdict[valid, :m] == "pass"
        verdict[valid, m] = np.where(passed.all(axis=1), "pass", "fail")
        score[valid, m] = score[valid, :m].min(axis=1)
        expl[valid, m] = ["failed: " + ", ".join(c for c, p in zip(crits, row, strict=True)
                                                 if not p) if not row.all() else ""
                          for row in passed]
    return verdict.ravel(), score.ravel(), expl.ravel()


def build_frame(records: list[dict[str, Any]], rubric: Rubric, specs: dict[str, Judge],
                keys: dict[str, list[str]],
                outcomes: dict[tuple[str, str], Outcome]) -> pd.DataFrame:
    """Assemble the verdict frame (see the module docstring).

    Rows are trace-major, then judge, then criterion. Usage (tokens, cost, attempts) sits on the
    first criterion row of a call only, and duplicated trace content (one shared call) is charged
    to its first trace, so the columns sum to what the run paid.
    """
    crits = list(rubric.criteria)
    overall = len(crits) > 1 and rubric.kind != "pairwise"
    names = crits + (["overall"] if overall else [])
    k = len(names)
    judges = list(specs)
    pairs = [(i, name) for i in range(len(records)) for name in judges]
    outs = [outcomes[(name, keys[name][i])] for i, name in pairs]
    seen: set[tuple[str, str]] = set()
    first = []
    for i, name in pairs:  # a shared call is charged to its first trace
        first.append((name, keys[name][i]) not in seen)
        seen.add((name, keys[name][i]))
    verdict, score, expl = _criterion_cells([o.answer for o in outs], crits, overall)
    own = np.zeros((len(pairs), k), dtype=bool)
    own[:, 0] = first  # usage counted once per call, on its first criterion row

    def per_pair(values: list[Any]) -> Any:
        return np.repeat(np.asarray(values, dtype=object), k)

    def usage(values: list[Any], dtype: Any) -> Any:
        arr = np.zeros((len(pairs), k), dtype=dtype)
        arr[:, 0] = values
        return np.where(own, arr, 0).ravel()

    cols: dict[str, Any] = {
        "trace_id": per_pair([str(records[i]["trace_id"]) for i, _ in pairs]),
        "judge": per_pair([name for _, name in pairs]),
        "criterion": np.tile(np.asarray(names, dtype=object), len(pairs)),
        # object columns: a missing verdict or explanation stays None under pandas 3 (not NaN)
        "verdict": pd.Series(verdict, dtype=object),
        "score": score,
        "explanation": pd.Series(expl, dtype=object),
        "model": per_pair([specs[name].model for _, name in pairs]),
        "input_tokens": usage([o.input_tokens for o in outs], np.int64),
        "output_tokens": usage([o.output_tokens for o in outs], np.int64),
        "tokens_estimated": np.repeat([o.tokens_estimated for o in outs], k).astype(bool),
        "cost_usd": usage([o.cost_usd for o in outs], float),
        "latency_ms": np.repeat(np.asarray([o.latency_ms for o in outs], dtype=float), k),
        "cache_hit": np.repeat([o.cache_hit for o in outs], k).astype(bool),
        "attempts": usage([o.attempts for o in outs], np.int64),
        "error": pd.Series(per_pair([o.error for o in outs]), dtype=object),
    }
    for c in ("segment", "sample_weight"):
        if records and c in records[0]:
            cols[c] = per_pair([records[i][c] for i, _ in pairs])
    n = len(pairs) * k
    cols["rubric"] = [rubric.name] * n
    cols["rubric_version"] = [rubric.version] * n
    cols["rubric_hash"] = [rubric.content_hash] * n
    df = pd.DataFrame(cols)
    if "sample_weight" in df.columns:
        df["sample_weight"] = df["sample_weight"].astype(float)
    return df


@dataclass(frozen=True, slots=True, kw_only=True)
class JudgeRunSummary:
    """Calls, cache hits, errors and cost of a judge run, per judge.

    Attributes
    ----------
    frame : DataFrame
        One row per judge: ``judge, model, n_traces, n_errors, n_cache_hits, input_tokens,
        output_tokens, cost_usd, mean_latency_ms``.
    cost_usd : float
        Total paid in this run (cache hits are free).
    stopped : bool
        ``max_cost`` stopped the run before every trace was judged.
    """

    frame: pd.DataFrame
    cost_usd: float
    stopped: bool

    def to_frame(self) -> pd.DataFrame:
        """The per-judge table."""
        return self.frame.copy()

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(str(r['judge']))}</td><td>{html.escape(str(r['model']))}</td>"
            f"<td>{r['n_traces']}</td><td>{r['n_errors']}</td><td>{r['n_cache_hits']}</td>"
            f"<td>{int(r['input_tokens']) + int(r['output_tokens']):,}</td>"
            f"<td>${float(r['cost_usd']):.4f}</td></tr>"
            for r in self.frame.to_dict("records"))
        note = " <b>stopped by max_cost</b>" if self.stopped else ""
        return ("<div class='evalkit-judge-run'><b>Judge run</b>: "
                f"${self.cost_usd:.4f} paid{note}<table><tr><th>judge</th><th>model</th>"
                "<th>traces</th><th>errors</th><th>cache hits</th><th>tokens</th><th>cost</th>"
                f"</tr>{rows}</table></div>")


def summarize_run(verdicts: pd.DataFrame) -> JudgeRunSummary:
    """Summarise a :func:`run_judges` frame: cost, tokens, errors and cache hits per judge.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"trace_id": ["a", "b"], "judge": ["j", "j"], "criterion": ["q", "q"],
    ...                    "model": ["m", "m"], "error": [None, "boom"], "cache_hit": [True, False],
    ...                    "input_tokens": [10, 20], "output_tokens": [1, 2],
    ...                    "cost_usd": [0.0, 0.5], "latency_ms": [3.0, 5.0]})
    >>> s = summarize_run(df)
    >>> s.cost_usd, s.frame[["n_traces", "n_errors", "n_cache_hits"]].iloc[0].tolist()
    (0.5, [2, 1, 1])
    """
    first = verdicts.drop_duplicates(["trace_id", "judge"])
    g = first.groupby("judge", sort=True)
    usage = verdicts.groupby("judge", sort=True)
    frame = pd.DataFrame({
        "model": g["model"].first(),
        "n_traces": g.size(),
        "n_errors": g["error"].apply(lambda s: int(s.notna().sum())),
        "n_cache_hits": g["cache_hit"].sum().astype(int),
        "input_tokens": usage["input_tokens"].sum().astype(int),
        "output_tokens": usage["output_tokens"].sum().astype(int),
        "cost_usd": usage["cost_usd"].sum().astype(float),
        "mean_latency_ms": g["latency_ms"].mean(),
    }).reset_index()
    stopped = bool(verdicts.attrs.get("judge_run", {}).get("stopped", False))
    return JudgeRunSummary(frame=frame, cost_usd=float(frame["cost_usd"].sum()), stopped=stopped)
