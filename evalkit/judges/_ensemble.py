"""Ensembles of three or more judges: majority verdict, median score, and a human-review queue."""

from __future__ import annotations

import html
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True, slots=True, kw_only=True)
class EnsembleResult:
    """Combined judges.

    Attributes
    ----------
    frame : DataFrame
        One row per trace: ``trace_id, verdict`` (majority; ``None`` on a tie), ``n_judges``,
        ``n_pass``, ``agreement`` (share of judges agreeing with the majority) and, with scores,
        ``score`` (median), ``score_min``, ``score_max``, ``score_spread``.
    review_queue : DataFrame
        Traces a human should review: the judges' scores differ by more than
        ``max_score_gap`` or the vote is tied. Columns ``trace_id, reason, verdict, score,
        score_spread`` plus one ``score_<judge>``/``verdict_<judge>`` column per judge, sorted by
        spread (largest first). Its ``trace_id`` column is what the review widget samples from.
    judges : list of str
    """

    frame: pd.DataFrame
    review_queue: pd.DataFrame
    judges: list[str]

    def to_frame(self) -> pd.DataFrame:
        """The per-trace ensemble frame."""
        return self.frame.copy()

    def _repr_html_(self) -> str:
        return (f"<div class='evalkit-ensemble'><b>Ensemble of {len(self.judges)} judges</b>: "
                f"{len(self.frame)} traces, {len(self.review_queue)} sent to human review "
                f"({html.escape(', '.join(self.judges))})</div>")


def ensemble_judges(
    verdicts: pd.DataFrame,
    *,
    positive: str = "pass",
    negative: str = "fail",
    max_score_gap: float = 1.0,
    min_judges: int = 3,
) -> EnsembleResult:
    """Combine three or more judges per trace.

    Parameters
    ----------
    verdicts : DataFrame
        Long format: ``trace_id, judge, verdict`` and optionally ``score`` (as in
        ``data/labels/judges.csv``).
    positive, negative : str
        Verdict values.
    max_score_gap : float, default 1.0
        Traces whose judge scores span more than this go to the review queue.
    min_judges : int, default 3
        Every trace needs at least this many judges.

    Returns
    -------
    EnsembleResult

    Raises
    ------
    ValueError
        Missing columns, fewer than ``min_judges`` judges on a trace, duplicate (trace, judge)
        rows, or verdicts other than ``positive``/``negative``.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"trace_id": ["a"] * 3 + ["b"] * 3, "judge": ["x", "y", "z"] * 2,
    ...                    "verdict": ["pass", "pass", "fail", "fail", "fail", "fail"],
    ...                    "score": [5, 4, 2, 1, 2, 1]})
    >>> res = ensemble_judges(df)
    >>> res.frame[["trace_id", "verdict", "score"]].to_dict("list")
    {'trace_id': ['a', 'b'], 'verdict': ['pass', 'fail'], 'score': [4.0, 1.0]}
    >>> res.review_queue["trace_id"].tolist()  # scores 5, 4, 2 differ by 3 > 1
    ['a']
    """
    need = {"trace_id", "judge", "verdict"}
    if not need <= set(verdicts.columns):
        raise ValueError(f"`verdicts` needs columns {sorted(need)}; got {list(verdicts.columns)}.")
    if min_judges < 3:
        raise ValueError(f"`min_judges` must be at least 3; got {min_judges!r}.")
    df = verdicts.copy()
    df["trace_id"] = df["trace_id"].astype(str)
    dup = df.duplicated(["trace_id", "judge"])
    if dup.any():
        r = df[dup].iloc[0]
        raise ValueError(f"judge {r['judge']!r} has several verdicts for trace {r['trace_id']!r}.")
    bad = ~df["verdict"].isin([positive, negative])
    if bad.any():
        raise ValueError(f"verdicts must be {positive!r} or {negative!r}; got "
                         f"{df.loc[bad, 'verdict'].iloc[0]!r}.")
    judges = sorted(df["judge"].astype(str).unique())
    g = df.assign(_pass=df["verdict"] == positive).groupby("trace_id", sort=True)
    out = pd.DataFrame({"n_judges": g.size(), "n_pass": g["_pass"].sum().astype(int)})
    few = out["n_judges"] < min_judges
    if few.any():
        raise ValueError(f"{int(few.sum())} traces have fewer than {min_judges} judges "
                         f"(e.g. {out.index[few][:3].tolist()}); an ensemble needs >= "
                         f"{min_judges}.")
    n_fail = out["n_judges"] - out["n_pass"]
    tie = out["n_pass"] == n_fail
    # an object Series: pandas 3 would infer str and turn the tie's None into NaN
    out["verdict"] = pd.Series(
        np.where(out["n_pass"] > n_fail, positive, negative), index=out.index, dtype=object
    )
    out.loc[tie, "verdict"] = None
    out["agreement"] = np.maximum(out["n_pass"], n_fail) / out["n_judges"]
    has_scores = "score" in df.columns
    if has_scores:
        s = pd.to_numeric(df["score"], errors="coerce")
        if s.isna().any():
            raise ValueError("`score` must be numeric for every row.")
        gs = df.assign(score=s).groupby("trace_id", sort=True)["score"]
        out["score"] = gs.median()
        out["score_min"], out["score_max"] = gs.min(), gs.max()
        out["score_spread"] = out["score_max"] - out["score_min"]
    out = out.reset_index()
    cols = ["trace_id", "verdict", "n_judges", "n_pass", "agreement"]
    if has_scores:
        cols += ["score", "score_min", "score_max", "score_spread"]
    out = out[cols]
    flag_gap = out["score_spread"] > max_score_gap if has_scores else pd.Series(False, out.index)
    flag_tie = out["verdict"].isna()
    q = out[flag_gap | flag_tie].copy()
    q.insert(1, "reason", np.where(flag_tie[q.index] & flag_gap[q.index],
                                   "tied vote; scores disagree",
                                   np.where(flag_tie[q.index], "tied vote",
                                            "scores disagree by more than "
                                            f"{max_score_gap:g}")))
    # (trace, judge) pairs are unique (checked above): a plain pivot, nothing to aggregate
    wide_v = df.pivot(index="trace_id", columns="judge", values="verdict")  # noqa: PD010
    wide_v = wide_v.add_prefix("verdict_")
    parts = [wide_v]
    if has_scores:
        wide_s = df.assign(score=pd.to_numeric(df["score"])).pivot(  # noqa: PD010
            index="trace_id", columns="judge", values="score")
        parts.insert(0, wide_s.add_prefix("score_"))
    q = q.merge(pd.concat(parts, axis=1), left_on="trace_id", right_index=True, how="left")
    keep = ["trace_id", "reason", "verdict"] + (["score", "score_spread"] if has_scores else [])
    q = q[keep + [c for c in q.columns if c.startswith(("score_", "verdict_"))
                  and c not in keep and c not in ("score_min", "score_max")]]
    if has_scores:
        q = q.sort_values(["score_spread", "trace_id"], ascending=[False, True])
    return EnsembleResult(frame=out, review_queue=q.reset_index(drop=True), judges=judges)
