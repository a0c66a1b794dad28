"""Pairwise judging with position swapping: every pair is judged in both orders.

A judge that prefers whatever it sees first agrees with itself only by luck when the two responses
swap places. :func:`run_pairwise` runs each pair as A-then-B and B-then-A, keeps a judge's
preference only when both orders agree (otherwise it is a ``tie``: the order effect cancels), and
measures each judge's position bias with :func:`evalkit.judges.position_bias`.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from typing import Any

import pandas as pd

from evalkit.judges._bias import BiasAudit, position_bias
from evalkit.judges._run_errors import JudgeConfigError
from evalkit.judges._runner import run_judges
from evalkit.judges.rubric import Rubric

_SWAP = {"A": "B", "B": "A", "tie": "tie"}


@dataclass(frozen=True, slots=True, kw_only=True)
class PairwiseResult:
    """Position-swapped pairwise verdicts.

    Attributes
    ----------
    frame : DataFrame
        One row per (pair, judge): ``pair_id, judge, shown_ab, shown_ba`` (the winner named by
        response, in each order), ``consistent``, ``winner`` (``tie`` when the orders disagree)
        and ``error``.
    winners : DataFrame
        One row per pair: ``pair_id, winner`` (judges' majority, ``tie`` without one), ``n_A``,
        ``n_B``, ``n_tie``.
    position_bias : dict of str to BiasAudit
        Per judge: share of decided choices that went to the response shown first, minus 0.5.
    verdicts : DataFrame
        The underlying :func:`run_judges` frame (trace ids ``<pair_id>::AB`` and ``::BA``).
    """

    frame: pd.DataFrame
    winners: pd.DataFrame
    position_bias: dict[str, BiasAudit]
    verdicts: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """The per-(pair, judge) frame."""
        return self.frame.copy()

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(j)}</td><td>{b.statistic:+.3f}</td>"
            f"<td>[{b.confidence_interval.low:+.3f}, {b.confidence_interval.high:+.3f}]</td></tr>"
            for j, b in self.position_bias.items())
        return (f"<div class='evalkit-pairwise'><b>Pairwise, position-swapped</b>: "
                f"{len(self.winners)} pairs<table><tr><th>judge</th><th>first-position bias"
                f"</th><th>CI</th></tr>{rows}</table></div>")


def run_pairwise(pairs: pd.DataFrame, rubric: Rubric, judges: Any, **options: Any
                 ) -> PairwiseResult:
    """Judge each pair of responses twice, swapped, and cancel the order effect.

    Parameters
    ----------
    pairs : DataFrame
        ``pair_id, output_a, output_b`` and optionally ``input`` and ``retrieved``.
    rubric : Rubric
        A ``pairwise`` rubric with one question.
    judges : mapping
        As for :func:`run_judges`.
    **options
        Passed to :func:`run_judges` (``cache=``, ``concurrency=``, ``max_cost=``...).

    Returns
    -------
    PairwiseResult

    Raises
    ------
    JudgeConfigError
        Missing columns, duplicate pair ids, or a rubric that is not pairwise with one question.

    Examples
    --------
    >>> import pandas as pd
    >>> from evalkit.judges import Judge, load_example_rubric
    >>> first = Judge(lambda m, **p: '{"better_response": "A"}', model="f", price=(0, 0))
    >>> pairs = pd.DataFrame({"pair_id": ["p1", "p2"], "output_a": ["x", "y"],
    ...                       "output_b": ["u", "v"]})
    >>> res = run_pairwise(pairs, load_example_rubric("support_bot_pairwise"),
    ...                    {"first": first}, cache=None, progress=False)
    >>> res.frame["winner"].tolist(), res.position_bias["first"].statistic
    (['tie', 'tie'], 0.5)
    """
    if not isinstance(rubric, Rubric) or rubric.kind != "pairwise" or len(rubric.criteria) != 1:
        raise JudgeConfigError("`rubric` must be a pairwise Rubric with one question; got "
                               f"{getattr(rubric, 'kind', type(rubric).__name__)!r}.")
    need = {"pair_id", "output_a", "output_b"}
    if not isinstance(pairs, pd.DataFrame) or not need <= set(pairs.columns):
        got = list(pairs.columns) if isinstance(pairs, pd.DataFrame) else type(pairs).__name__
        raise JudgeConfigError(f"`pairs` needs columns {sorted(need)}; got {got}.")
    ids = pairs["pair_id"].astype(str)
    if ids.duplicated().any():
        raise JudgeConfigError(f"`pairs` lists pair {ids[ids.duplicated()].iloc[0]!r} twice.")
    ab = pairs.assign(trace_id=ids + "::AB")
    ba = pairs.assign(trace_id=ids + "::BA", output_a=pairs["output_b"],
                      output_b=pairs["output_a"])
    both = pd.concat([ab, ba], ignore_index=True).drop(columns="pair_id")
    verdicts = run_judges(both, rubric, judges, **options)
    v = verdicts.assign(pair_id=verdicts["trace_id"].str[:-4],
                        order=verdicts["trace_id"].str[-2:])
    wide = v.pivot_table(index=["pair_id", "judge"], columns="order", values="verdict",
                         aggfunc="first", dropna=False)
    err = v.groupby(["pair_id", "judge"])["error"].agg(_join_errors)
    frame = pd.DataFrame({
        "shown_ab": wide.get("AB", pd.Series(index=wide.index, dtype=object)),
        "shown_ba": wide.get("BA", pd.Series(index=wide.index, dtype=object)).map(_SWAP),
        "error": err.reindex(wide.index),
    })
    frame["consistent"] = frame["shown_ab"] == frame["shown_ba"]
    frame["winner"] = frame["shown_ab"].where(frame["consistent"], "tie")
    frame.loc[frame["error"].notna(), "winner"] = None
    frame = frame.reset_index()[["pair_id", "judge", "shown_ab", "shown_ba", "consistent",
                                 "winner", "error"]]
    order = {p: i for i, p in enumerate(ids)}
    frame = (frame.assign(_order=frame["pair_id"].map(order))
             .sort_values(["_order", "judge"]).drop(columns="_order").reset_index(drop=True))
    bias = {}
    for judge, sub in frame[frame["error"].isna()].groupby("judge", sort=True):
        bias[str(judge)] = position_bias(sub["shown_ab"].tolist(), sub["shown_ba"].tolist())
    counts = frame.dropna(subset=["winner"]).pivot_table(
        index="pair_id", columns="winner", values="judge", aggfunc="count", fill_value=0)
    counts = counts.reindex(index=list(ids), columns=["A", "B", "tie"], fill_value=0)
    n_a, n_b, n_t = counts["A"], counts["B"], counts["tie"]
    total = n_a + n_b + n_t
    winner = pd.Series("tie", index=counts.index, dtype=object)
    winner[n_a * 2 > total] = "A"
    winner[n_b * 2 > total] = "B"
    winners = pd.DataFrame({"pair_id": counts.index, "winner": winner.to_numpy(),
                            "n_A": n_a.to_numpy(), "n_B": n_b.to_numpy(),
                            "n_tie": n_t.to_numpy()})
    return PairwiseResult(frame=frame, winners=winners, position_bias=bias, verdicts=verdicts)


def _join_errors(errors: pd.Series) -> Any:
    text = "; ".join(dict.fromkeys(str(e) for e in errors.dropna()))
    return text or None
