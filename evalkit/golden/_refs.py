"""Score outputs against a golden set's references: a high match earns more than a borderline."""

from __future__ import annotations

import html
import math
import os
import re
import string
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from evalkit.golden._errors import GoldenError
from evalkit.stats._common import ConfidenceInterval

Scorer = Literal["exact", "normalized", "token_f1"] | Callable[[str, str], float]
_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = str.maketrans("", "", string.punctuation)


def normalize(text: str) -> str:
    """Lower-case, drop punctuation and English articles, collapse whitespace (SQuAD's rule).

    Examples
    --------
    >>> normalize("The  Refund, is DUE!")
    'refund is due'
    """
    return " ".join(_ARTICLES.sub(" ", text.lower().translate(_PUNCT)).split())


def exact(output: str, reference: str) -> float:
    """1.0 when the strings are identical, else 0.0."""
    return float(output == reference)


def normalized_exact(output: str, reference: str) -> float:
    """1.0 when the :func:`normalize`-d strings are identical, else 0.0."""
    return float(normalize(output) == normalize(reference))


def token_f1(output: str, reference: str) -> float:
    """Token-overlap F1 of the normalised texts (SQuAD v1.1 ``f1_score``).

    Examples
    --------
    >>> round(token_f1("refund within 14 days", "refunds within 14 days"), 3)
    0.75
    """
    a, b = normalize(output).split(), normalize(reference).split()
    if not a or not b:
        return float(a == b)
    same = sum((Counter(a) & Counter(b)).values())
    if same == 0:
        return 0.0
    p, r = same / len(a), same / len(b)
    return 2 * p * r / (p + r)


_BUILTIN: dict[str, Callable[[str, str], float]] = {
    "exact": exact, "normalized": normalized_exact, "token_f1": token_f1,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class ReferenceScore:
    """Outputs scored against high and borderline references.

    Attributes
    ----------
    statistic : float
        Mean credit over cases: ``max(w_high * best_high, w_borderline * best_borderline)``.
    confidence_interval : ConfidenceInterval
        t interval of the mean credit at ``confidence_level``.
    confidence_level : float
    n_cases : int
        Cases scored (cases with at least one reference and an output).
    share_high, share_borderline_only, share_none : float
        Shares of cases whose best match (score >= ``threshold``) is a high reference, only a
        borderline one ("technically acceptable but below the bar"), or neither.
    scorer : str
    frame : pandas.DataFrame
        One row per case: ``case_id, trace_id, best_high, best_borderline, credit, match``.
    """

    statistic: float
    confidence_interval: ConfidenceInterval
    confidence_level: float
    n_cases: int
    share_high: float
    share_borderline_only: float
    share_none: float
    scorer: str
    frame: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """The per-case scores."""
        return self.frame.copy()

    def _repr_html_(self) -> str:
        lo, hi = self.confidence_interval
        return (
            f"<b>Reference score ({html.escape(self.scorer)})</b>: {self.statistic:.3f} "
            f"[{lo:.3f}, {hi:.3f}] over {self.n_cases} cases; matches high "
            f"{self.share_high:.1%}, borderline only {self.share_borderline_only:.1%}, "
            f"none {self.share_none:.1%}"
        )


def _outputs(outputs: Any) -> dict[str, str]:
    if isinstance(outputs, Mapping):
        return {str(k): str(v) for k, v in outputs.items()}
    if isinstance(outputs, pd.DataFrame):
        key = "case_id" if "case_id" in outputs.columns else "trace_id"
        if key not in outputs.columns or "output" not in outputs.columns:
            raise GoldenError("`outputs` frame needs columns 'output' and 'case_id' or "
                              f"'trace_id'; got {list(map(str, outputs.columns))}.")
        return dict(zip(outputs[key].astype(str), outputs["output"].astype(str), strict=True))
    raise GoldenError(f"`outputs` must be a DataFrame or a mapping id -> text; "
                      f"got {type(outputs).__name__}.")


def score_against_references(
    outputs: Any, golden: Any, *, scorer: Scorer = "token_f1",
    weights: Mapping[str, float] | None = None, threshold: float = 0.5,
    confidence_level: float = 0.95,
) -> ReferenceScore:
    """Score new outputs against each golden case's high and borderline references.

    Parameters
    ----------
    outputs : pandas.DataFrame or mapping
        ``case_id`` (or ``trace_id``) and ``output`` columns, or a mapping id -> text.
    golden : path or pandas.DataFrame
        A golden folder (its active split is read) or a frame from :func:`load_golden`.
    scorer : {'exact', 'normalized', 'token_f1'} or callable, default 'token_f1'
        A callable ``(output, reference) -> float in [0, 1]`` plugs in a judge.
    weights : mapping, default ``{'high': 1.0, 'borderline': 0.5}``
        Credit for matching each quality; high must be worth more than borderline.
    threshold : float, default 0.5
        A score at or above it counts as a match for the shares.
    confidence_level : float, default 0.95

    Returns
    -------
    ReferenceScore

    Examples
    --------
    >>> g = pd.DataFrame({"case_id": ["c1", "c2"], "trace_id": ["t1", "t2"], "references": [
    ...     [{"text": "Refunds within 14 days.", "quality": "high", "author": "a"},
    ...      {"text": "You can get a refund.", "quality": "borderline", "author": "a"}],
    ...     [{"text": "Reset via Forgot password.", "quality": "high", "author": "a"}]]})
    >>> outs = {"c1": "you can get a refund", "c2": "reset via forgot password"}
    >>> res = score_against_references(outs, g, scorer="normalized")
    >>> res.statistic, res.share_borderline_only
    (0.75, 0.5)
    """
    from evalkit.golden._load import load_golden

    w = {"high": 1.0, "borderline": 0.5, **(weights or {})}
    if not 0 <= w["borderline"] < w["high"]:
        raise GoldenError(f"`weights` must give 0 <= borderline < high; got {dict(w)}.")
    if isinstance(scorer, str):
        if scorer not in _BUILTIN:
            raise GoldenError(f"`scorer` must be one of {list(_BUILTIN)} or a callable; "
                              f"got {scorer!r}.")
        fn, name = _BUILTIN[scorer], str(scorer)
    elif callable(scorer):
        fn, name = scorer, getattr(scorer, "__qualname__", type(scorer).__name__)
    else:
        raise GoldenError(f"`scorer` must be a name or a callable; got {scorer!r}.")
    frame = load_golden(golden) if isinstance(golden, (str, os.PathLike)) else golden
    outs = _outputs(outputs)
    rows = []
    for cid, tid, refs in zip(frame["case_id"], frame["trace_id"], frame["references"],
                              strict=True):
        out = outs.get(str(cid), outs.get(str(tid)))
        if out is None or not len(refs):
            continue
        best = {"high": math.nan, "borderline": math.nan}
        for ref in refs:
            s = float(fn(out, ref["text"]))
            if not 0 <= s <= 1:
                raise GoldenError(f"the scorer returned {s!r} for case {cid!r}; scores must be "
                                  "in [0, 1].")
            q = ref["quality"]
            best[q] = s if math.isnan(best[q]) else max(best[q], s)
        hi = 0.0 if math.isnan(best["high"]) else best["high"]
        bo = 0.0 if math.isnan(best["borderline"]) else best["borderline"]
        credit = max(w["high"] * hi, w["borderline"] * bo)
        match = "high" if hi >= threshold else "borderline" if bo >= threshold else "none"
        rows.append({"case_id": cid, "trace_id": tid, "best_high": best["high"],
                     "best_borderline": best["borderline"], "credit": credit, "match": match})
    df = pd.DataFrame(rows, columns=["case_id", "trace_id", "best_high", "best_borderline",
                                     "credit", "match"])
    if df.empty:
        raise GoldenError("no case has both an output in `outputs` and a reference; nothing to "
                          f"score (outputs for {len(outs)} ids, {len(frame)} cases).")
    credits = df["credit"].to_numpy(float)
    mean = float(credits.mean())
    if len(credits) > 1 and credits.std(ddof=1) > 0:
        from scipy import stats

        sem = float(stats.sem(credits))
        lo, hi = stats.t.interval(confidence_level, len(credits) - 1, loc=mean, scale=sem)
        ci = ConfidenceInterval(float(np.clip(lo, 0, 1)), float(np.clip(hi, 0, 1)))
    else:
        ci = ConfidenceInterval(mean, mean) if len(credits) > 1 else ConfidenceInterval(
            math.nan, math.nan)
    share = df["match"].value_counts(normalize=True)
    return ReferenceScore(
        statistic=mean, confidence_interval=ci, confidence_level=confidence_level,
        n_cases=len(df), share_high=float(share.get("high", 0.0)),
        share_borderline_only=float(share.get("borderline", 0.0)),
        share_none=float(share.get("none", 0.0)), scorer=name, frame=df,
    )
