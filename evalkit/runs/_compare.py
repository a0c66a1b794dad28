"""compare_runs: pair two runs per case and compare them overall and per segment, with a gate."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from evalkit.runs._errors import RunInputError
from evalkit.runs._pairing import (
    Outcome,
    Paired,
    Unmatched,
    is_counts,
    overall_row,
    pair_rows,
    tables_from_counts,
)
from evalkit.runs._result import RunComparison
from evalkit.runs._runfile import read_cases, read_run
from evalkit.runs._stats import finish, score_stats, verdict_stats
from evalkit.stats._common import ConfidenceInterval, RNGLike, as_rng
from evalkit.stats._confusion import CalibrationResult
from evalkit.stats._warnings import StatisticsInputError

Interval = Literal["tango", "newcombe", "wald", "bootstrap", "t"]
Bound = Literal["lower", "point"]
Adjust = Literal["holm", "bh", "none"]
_VERDICT_INTERVALS = ("tango", "newcombe", "wald", "bootstrap")
_SCORE_INTERVALS = ("t", "bootstrap")


def _choice(name: str, value: Any, allowed: Sequence[str]) -> str:
    if not isinstance(value, str) or value not in allowed:
        choices = ", ".join(repr(a) for a in allowed)
        raise RunInputError(f"`{name}` must be one of {choices}; got {value!r}.")
    return value


def _frame(run: Any, name: str) -> pd.DataFrame:
    if isinstance(run, pd.DataFrame):
        return run
    if isinstance(run, (str, Path)):
        return read_run(run)
    raise RunInputError(f"`{name}` must be a DataFrame or the path of a run file; got "
                        f"{type(run).__name__}.")


def _calibrations(calibration: Any) -> tuple[CalibrationResult, CalibrationResult] | None:
    if calibration is None:
        return None
    pair = calibration if isinstance(calibration, tuple) else (calibration, calibration)
    if len(pair) != 2 or not all(isinstance(c, CalibrationResult) for c in pair):
        raise RunInputError("`calibration` must be a CalibrationResult (one judge for both "
                            "runs) or a (baseline, candidate) pair of them; got "
                            f"{type(calibration).__name__}.")
    return pair[0], pair[1]


def _number(name: str, value: Any, low: float, high: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.number)):
        raise RunInputError(f"`{name}` must be a number in [{low:g}, {high:g}]; got {value!r}.")
    v = float(value)
    if not (low <= v <= high):  # nan fails too
        raise RunInputError(f"`{name}` must be in [{low:g}, {high:g}]; got {value!r}.")
    return v


def compare_runs(
    baseline: Any,
    candidate: Any = None,
    *,
    by: str | None = "segment",
    max_regression: float = 0.03,
    bound: Bound = "lower",
    confidence_level: float = 0.95,
    adjust: Adjust = "holm",
    interval: Interval | None = None,
    mid_p: bool = False,
    outcome: Outcome = "auto",
    positive: Any = None,
    unmatched: Unmatched = "error",
    id_column: str | None = None,
    cases: Any = None,
    calibration: Any = None,
    n_resamples: int = 2000,
    rng: RNGLike = None,
) -> RunComparison:
    r"""Compare a candidate run with a baseline run on the same cases, overall and per segment.

    Parameters
    ----------
    baseline, candidate : DataFrame or path
        One row per case: an id (``case_id`` or ``trace_id``, or ``id_column``), a ``verdict``
        (pass/fail in the verdict vocabulary of :mod:`evalkit.labels.verdicts`) or a numeric
        ``score``, and optionally the ``by`` column. Paths are read with
        :func:`evalkit.runs.read_run` (CSV, Parquet, JSON Lines, ``evalkit check`` label files).
        **Counts in:** pass a frame of sufficient statistics as ``baseline`` and leave
        ``candidate`` out: one row per segment with the ``by`` column and the paired 2x2 cells
        ``n11, n10, n01, n00`` (baseline pass & candidate pass, baseline pass & candidate fail,
        baseline fail & candidate pass, both fail), or for scores
        ``n, sum_baseline, sum_candidate, sum_diff, sum_diff_sq`` (``diff = candidate - baseline``).
        The result equals the rows-in result (the verdict bootstrap resamples the table, so it
        does too; the score bootstrap needs rows and is ``nan`` from sums).
    by : str or None, default 'segment'
        Segment column (from ``cases`` if it has it, else from the runs, which must agree).
        ``None`` compares overall only; the default falls back to overall only when no input has
        a ``segment`` column.
    max_regression : float, default 0.03
        The margin: a scope regresses when its delta is below ``-max_regression`` (a fraction for
        pass rates, the score's own unit for scores).
    bound : {'lower', 'point'}, default 'lower'
        Read the lower bound of the delta's interval (the candidate must show it does not regress
        by more than the margin; conservative on small segments) or the point estimate.
    confidence_level : float, default 0.95
    adjust : {'holm', 'bh', 'none'}, default 'holm'
        Which adjusted McNemar (or paired t) p-value fills ``p_adjusted`` and ``significant``:
        Holm (family-wise error) or Benjamini-Hochberg (false discovery rate) over the segments.
        Both are always in the frame (``p_holm``, ``p_bh``).
    interval : {'tango', 'newcombe', 'wald', 'bootstrap', 't'}, optional
        The interval in ``confidence_interval``/``ci_low``/``ci_high`` and read by the gate.
        Default Tango's score interval for verdicts, the paired t interval for scores (their
        coverage at small samples is in the Notes).
    mid_p : bool, default False
        McNemar's mid-p instead of the exact conditional p-value.
    outcome : {'auto', 'verdict', 'score'}, default 'auto'
    positive : object, optional
        The verdict that means pass in a vocabulary of your own (``'good'``).
    unmatched : {'error', 'drop'}, default 'error'
        Cases found in one run only raise :class:`~evalkit.runs.UnmatchedCasesError` (listing
        them), or are dropped and reported in ``only_baseline``/``only_candidate``.
    id_column : str, optional
        The case id column when it is not ``case_id``/``trace_id``.
    cases : DataFrame or path, optional
        The case list (a golden-set folder or a frame with ``case_id``): rows outside it are left
        out (counted in ``n_outside_cases``), every listed case must be in both runs, and the
        segments come from it when it has the ``by`` column.
    calibration : CalibrationResult or (CalibrationResult, CalibrationResult), optional
        Judge-scored runs: compare Rogan-Gladen corrected pass rates. One result means one judge
        scored both runs.
    n_resamples : int, default 2000
        Bootstrap resamples (``0`` skips the bootstrap columns).
    rng : numpy.random.Generator, int or None

    Returns
    -------
    RunComparison
        ``statistic`` and ``confidence_interval`` (overall delta), ``gate_passed``,
        ``regressions``, ``to_frame()`` (one row per scope), ``plot()``, ``to_markdown()``.

    Raises
    ------
    RunsError
        :class:`~evalkit.runs.UnmatchedCasesError`, :class:`~evalkit.runs.DuplicateCaseError`,
        :class:`~evalkit.runs.VerdictMismatchError`, :class:`~evalkit.runs.MixedOutcomeError`,
        :class:`~evalkit.runs.EmptySegmentError` or :class:`~evalkit.runs.RunInputError`.

    Notes
    -----
    The delta is candidate minus baseline on the same cases,
    :math:`\hat\delta = (n_{01} - n_{10}) / n` for verdicts. Intervals: Tango's score interval
    and Newcombe's hybrid score interval (see
    :func:`evalkit.stats.paired_difference_interval`), a percentile bootstrap that resamples
    cases (a multinomial draw over the table's cells), and for scores the paired t interval.
    p-values: McNemar's exact conditional test for verdicts, the paired t-test for scores.

    **The gate** flags a scope (overall or segment) whose delta, or the lower bound of its
    interval (``bound='lower'``), is below ``-max_regression``, and passes when nothing is
    flagged. With the lower bound the gate is an intersection-union test (Berger 1982): passing
    says every segment's delta is above ``-max_regression`` at one-sided level
    :math:`(1 - \text{confidence\_level})/2` *without* a multiplicity adjustment, so the flags
    use unadjusted intervals on purpose. The adjusted p-values answer another question (which
    segments changed at all?) and are reported next to the flags.

    With ``calibration``, rates are Rogan-Gladen corrected,
    :math:`\theta = (p + \mathrm{TNR} - 1) / (\mathrm{TPR} + \mathrm{TNR} - 1)`, and the delta's
    interval is a percentile bootstrap that resamples the paired table and draws TPR and TNR
    from their Jeffreys Beta posteriors (shared draws when one judge scored both runs), as the
    bootstrap of :func:`evalkit.stats.corrected_pass_rate`. The p-values stay McNemar's on the
    raw verdicts: with one judge the correction is an increasing linear map, so "no change" is
    the same hypothesis.

    **Coverage** at nominal 95% (seeded simulations in tests/runs/test_compare_coverage.py and
    tests/runs/test_compare_coverage_more.py). Tango and Newcombe hold 93.5% or more down to 30
    pairs. Wald and the verdict bootstrap under-cover below about 10 expected discordant pairs
    (tables in :func:`evalkit.stats.paired_difference_interval` and
    :func:`evalkit.stats.paired_bootstrap_interval`); the paired t table is in
    :func:`evalkit.stats.paired_t_interval`. The score bootstrap (percentile, resampling cases;
    seed 42, 1,000 replications per cell, 2,000 resamples each, Monte Carlo SE 0.007-0.014,
    the distributions of the t table) is too narrow at 30 pairs, where t does better:

    Coverage of the score bootstrap (nominal 95%):

    =====  ======  =========  ======
    n      normal  lognormal  Likert
    =====  ======  =========  ======
    30     0.924   0.916      0.736
    100    0.935   0.941      0.923
    =====  ======  =========  ======

    The calibrated bootstrap, for a judge with TPR 0.90 and TNR 0.85 scoring both runs of
    ``n`` cases (true pass rates: baseline 0.70, 20% discordant cases, true delta 0 or -0.085;
    the target is the true pass-rate difference) and a calibration set of ``m`` cases from the
    baseline's traffic (seeds 80 and 250, 1,000 replications per cell, Monte Carlo SE
    0.006-0.009). With 30 cases a regression is covered 91-94% of the time, as the raw
    verdict bootstrap's small-sample deficit carries over; 30 calibration labels cost little
    coverage (the calibration's uncertainty scales the delta, which is small):

    Coverage of the calibrated bootstrap (nominal 95%):

    =====  ==========  ==============  ===========  ===============
    m      n=30, d=0   n=30, d=-.085   n=200, d=0   n=200, d=-.085
    =====  ==========  ==============  ===========  ===============
    30     0.955       0.920           0.944        0.957
    100    0.944       0.935           0.957        0.930
    300    0.954       0.913           0.957        0.941
    =====  ==========  ==============  ===========  ===============

    References
    ----------
    Berger, R. L. (1982). Multiparameter hypothesis testing and acceptance sampling.
    Technometrics 24(4), 295-300. doi:10.1080/00401706.1982.10487790

    Examples
    --------
    >>> import pandas as pd
    >>> base = pd.DataFrame({"case_id": range(8), "segment": list("aaaabbbb"),
    ...                      "verdict": ["pass"] * 6 + ["fail"] * 2})
    >>> cand = base.assign(verdict=["pass"] * 4 + ["fail"] * 2 + ["pass"] * 2)
    >>> res = compare_runs(base, cand, max_regression=0.5, bound="point", rng=0)
    >>> res.statistic, res.gate_passed
    (0.0, True)
    >>> res.to_frame()[["segment", "n", "baseline_rate", "candidate_rate", "delta"]]
      segment  n  baseline_rate  candidate_rate  delta
    0   (all)  8           0.75            0.75    0.0
    1       a  4           1.00            1.00    0.0
    2       b  4           0.50            0.50    0.0

    The same comparison from the paired 2x2 tables a warehouse would compute:

    >>> tables = pd.DataFrame({"segment": ["a", "b"], "n11": [4, 0], "n10": [0, 2],
    ...                        "n01": [0, 2], "n00": [0, 0]})
    >>> compare_runs(tables, max_regression=0.5, bound="point", rng=0).statistic
    0.0
    """
    b = _choice("bound", bound, ("lower", "point"))
    adj = _choice("adjust", adjust, ("holm", "bh", "none"))
    _choice("outcome", outcome, ("auto", "verdict", "score"))
    _choice("unmatched", unmatched, ("error", "drop"))
    margin = _number("max_regression", max_regression, 0.0, math.inf)  # scores: any scale
    cl = _number("confidence_level", confidence_level, 0.0, 1.0)
    if not 0.0 < cl < 1.0:
        raise RunInputError(f"`confidence_level` must be in (0, 1); got {confidence_level!r}.")
    if isinstance(n_resamples, bool) or not isinstance(n_resamples, (int, np.integer)) \
            or n_resamples < 0:
        raise RunInputError(f"`n_resamples` must be a non-negative integer; got {n_resamples!r}.")
    if by is not None and not isinstance(by, str):
        raise RunInputError(f"`by` must be a column name or None; got {by!r}.")
    cals = _calibrations(calibration)
    gen = as_rng(rng)
    if candidate is None:
        if not is_counts(baseline):
            raise RunInputError(
                "compare_runs needs two runs (baseline, candidate), or one frame of counts with "
                "'n11, n10, n01, n00' (or score sums) per segment; got one argument without "
                "those columns.")
        paired: Paired = tables_from_counts(baseline, by=by)
    else:
        cases_frame = read_cases(cases) if cases is not None else None
        paired = pair_rows(_frame(baseline, "baseline"), _frame(candidate, "candidate"), by=by,
                           by_is_default=by == "segment", outcome=outcome, positive=positive,
                           unmatched=unmatched, id_column=id_column, cases=cases_frame)
    tables = overall_row(paired.tables)
    if paired.outcome == "verdict":
        method = _choice("interval", interval or "tango", _VERDICT_INTERVALS)
        try:
            frame = verdict_stats(tables, interval=method, cl=cl, mid_p=bool(mid_p),
                                  n_resamples=int(n_resamples), rng=gen, calibration=cals)
        except StatisticsInputError as err:
            raise RunInputError(str(err)) from None
        if cals is not None:
            method = "calibrated-bootstrap"
    else:
        if cals is not None:
            raise RunInputError("`calibration` corrects pass rates of verdicts; these runs have "
                                "scores.")
        method = _choice("interval", interval or "t", _SCORE_INTERVALS)
        frame = score_stats(tables, paired.diffs, interval=method, cl=cl,
                            n_resamples=int(n_resamples), rng=gen)
    frame = finish(frame, adjust=adj, cl=cl, bound=b, max_regression=margin)
    top = frame.iloc[0]
    regressions = tuple(str(s) for s in frame.loc[frame["regressed"], "segment"])
    return RunComparison(
        statistic=float(top["delta"]),
        confidence_interval=ConfidenceInterval(float(top["ci_low"]), float(top["ci_high"])),
        standard_error=float(top["standard_error"]) if "standard_error" in frame else math.nan,
        confidence_level=cl, method=method, outcome=paired.outcome, by=paired.by,
        max_regression=margin, bound=b, adjust=adj, gate_passed=not regressions,
        regressions=regressions, n_pairs=int(top["n"]), only_baseline=paired.only_baseline,
        only_candidate=paired.only_candidate, n_outside_cases=paired.n_outside_cases,
        calibrated=cals is not None, details=frame,
    )
