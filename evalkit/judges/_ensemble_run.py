"""Three-judge ensembles over a rubric run: per-criterion median and majority, and a review queue.

For every criterion (binary question or scored dimension) :func:`ensemble_judges` combines the
judges: the median score of each dimension, the majority verdict of each binary question. When any
two judges' scores on a dimension differ by more than ``max_score_gap`` (one point by default), or a
vote ties, or too few judges answered (error rows), the trace goes to the review queue: one row per
trace, ready for :class:`evalkit.Annotator` as ``queue=``.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

import pandas as pd

from evalkit.judges._ensemble import ensemble_judges
from evalkit.judges._run_errors import JudgeConfigError


@dataclass(frozen=True, slots=True, kw_only=True)
class RubricEnsemble:
    """The ensemble of a judge run.

    Attributes
    ----------
    frame : DataFrame
        One row per (trace, criterion): ``trace_id, criterion, verdict`` (majority), ``score``
        (median), ``n_judges``, ``agreement``, ``score_spread``, ``flagged``.
    disagreements : DataFrame
        One row per flagged (trace, criterion): ``reason`` and each judge's score and verdict.
    review_queue : DataFrame
        One row per trace to review: ``trace_id, reason, criteria, max_spread``; pass it to the
        annotator as ``queue=``.
    judges : list of str
    n_error_rows : int
        Judge rows with an ``error`` (they sent their trace to the queue, never silently away).
    """

    frame: pd.DataFrame
    disagreements: pd.DataFrame
    review_queue: pd.DataFrame
    judges: list[str]
    n_error_rows: int

    def to_frame(self) -> pd.DataFrame:
        """The per-(trace, criterion) ensemble frame."""
        return self.frame.copy()

    def verdicts(self, criterion: str = "overall") -> pd.DataFrame:
        """``trace_id, verdict, score`` of one criterion (for :func:`evalkit.calibrate`)."""
        if criterion not in set(self.frame["criterion"]):
            raise JudgeConfigError(f"`criterion` must be one of "
                                   f"{sorted(set(self.frame['criterion']))}; got {criterion!r}.")
        sub = self.frame[self.frame["criterion"] == criterion]
        return sub[["trace_id", "verdict", "score"]].reset_index(drop=True)

    def _repr_html_(self) -> str:
        n_traces = self.frame["trace_id"].nunique()
        return (f"<div class='evalkit-ensemble'><b>Ensemble of {len(self.judges)} judges</b> "
                f"({html.escape(', '.join(self.judges))}): {n_traces} traces, "
                f"{self.frame['criterion'].nunique()} criteria, {len(self.review_queue)} traces "
                f"sent to human review, {self.n_error_rows} error rows</div>")


def ensemble_rubric(
    verdicts: pd.DataFrame,
    *,
    max_score_gap: float = 1.0,
    min_judges: int = 3,
) -> RubricEnsemble:
    """Combine three or more judges of a :func:`run_judges` frame, criterion by criterion.

    Parameters
    ----------
    verdicts : DataFrame
        ``trace_id, judge, criterion, verdict, score`` and optionally ``error`` (the
        :func:`run_judges` frame as it is).
    max_score_gap : float, default 1.0
        A dimension whose judge scores span more than this is flagged (binary scores are 0/1, so
        a split vote is not a gap; a tie is).
    min_judges : int, default 3

    Returns
    -------
    RubricEnsemble

    Raises
    ------
    JudgeConfigError
        Missing columns; or ``ValueError`` from :func:`ensemble_judges` (duplicate rows...).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"trace_id": ["t"] * 6, "judge": ["a", "b", "c"] * 2,
    ...                    "criterion": ["accuracy"] * 3 + ["grounded"] * 3,
    ...                    "verdict": ["pass", "pass", "fail", "pass", "pass", "pass"],
    ...                    "score": [4, 3, 2, 4, 4, 3]})
    >>> ens = ensemble_rubric(df)
    >>> ens.frame[["criterion", "score", "flagged"]].to_dict("list")
    {'criterion': ['accuracy', 'grounded'], 'score': [3.0, 4.0], 'flagged': [True, False]}
    >>> ens.review_queue[["trace_id", "criteria"]].to_dict("list")  # 4 vs 2: a 2-point gap
    {'trace_id': ['t'], 'criteria': ['accuracy']}
    """
    need = {"trace_id", "judge", "criterion", "verdict", "score"}
    if not isinstance(verdicts, pd.DataFrame) or not need <= set(verdicts.columns):
        got = list(verdicts.columns) if isinstance(verdicts, pd.DataFrame) else type(verdicts)
        raise JudgeConfigError(f"`verdicts` needs columns {sorted(need)} (a run_judges frame); "
                               f"got {got}.")
    df = verdicts.copy()
    df["trace_id"] = df["trace_id"].astype(str)
    bad = df["verdict"].isna() | df["score"].isna()
    if "error" in df.columns:
        bad |= df["error"].notna()
    errors = df[bad]
    ok = df[~bad]
    judges = sorted(df["judge"].astype(str).unique())
    frames, disagreements, short = [], [], []
    for crit, sub in ok.groupby("criterion", sort=False):
        counts = sub.groupby("trace_id")["judge"].nunique()
        enough = counts.index[counts >= min_judges]
        few = counts.index[counts < min_judges]
        all_ids = set(df.loc[df["criterion"] == crit, "trace_id"])
        missing = sorted(all_ids - set(counts.index))
        for tid in [*few, *missing]:
            short.append({"trace_id": tid, "criterion": crit,
                          "reason": f"only {int(counts.get(tid, 0))} of {len(judges)} judges "
                                    "answered"})
        if len(enough) == 0:
            continue
        res = ensemble_judges(sub[sub["trace_id"].isin(enough)][["trace_id", "judge", "verdict",
                                                                 "score"]],
                              positive="pass", negative="fail",
                              max_score_gap=max_score_gap, min_judges=min_judges)
        f = res.frame.assign(criterion=crit)
        f["flagged"] = f["trace_id"].isin(res.review_queue["trace_id"])
        frames.append(f)
        if len(res.review_queue):
            disagreements.append(res.review_queue.assign(criterion=crit))
    cols = ["trace_id", "criterion", "verdict", "score", "n_judges", "n_pass", "agreement",
            "score_spread", "flagged"]
    frame = (pd.concat(frames, ignore_index=True)[cols] if frames
             else pd.DataFrame(columns=cols))
    dis = pd.concat([*disagreements, pd.DataFrame(short)], ignore_index=True) if (
        disagreements or short) else pd.DataFrame(columns=["trace_id", "criterion", "reason"])
    lead = ["trace_id", "criterion", "reason"]
    dis = dis[lead + [c for c in dis.columns if c not in lead]]
    if len(dis):
        spread = dis["score_spread"] if "score_spread" in dis.columns else pd.Series(
            float("nan"), index=dis.index)
        g = dis.assign(_spread=spread.astype(float)).groupby("trace_id", sort=False)
        queue = pd.DataFrame({
            "reason": g["reason"].agg(lambda s: "; ".join(dict.fromkeys(s))),
            "criteria": g["criterion"].agg(lambda s: ", ".join(dict.fromkeys(s))),
            "max_spread": g["_spread"].max(),
        }).reset_index().sort_values(["max_spread", "trace_id"], ascending=[False, True],
                                     na_position="first")
    else:
        queue = pd.DataFrame(columns=["trace_id", "reason", "criteria", "max_spread"])
    return RubricEnsemble(frame=frame, disagreements=dis.reset_index(drop=True),
                          review_queue=queue.reset_index(drop=True), judges=judges,
                          n_error_rows=len(errors))
