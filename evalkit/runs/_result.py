"""The result of :func:`evalkit.compare_runs`: per-segment deltas, the gate, and their displays."""

from __future__ import annotations

import html
import json
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from evalkit.stats._common import ConfidenceInterval

_NAN_CI = ConfidenceInterval(math.nan, math.nan)


def _md(text: Any) -> str:
    """Text safe in a markdown table cell: HTML escaped, pipes and newlines neutralised."""
    return html.escape(str(text)).replace("|", "\\|").replace("\n", " ").replace("`", "\\`")


@dataclass(frozen=True, slots=True, kw_only=True)
class RunComparison:
    """Candidate run versus baseline run, overall and per segment, with the release gate.

    Attributes
    ----------
    statistic : float
        Overall paired delta, candidate minus baseline (pass rate, corrected pass rate or mean
        score).
    confidence_interval : ConfidenceInterval
        Interval of the overall delta (``method``).
    standard_error : float
    confidence_level : float
    method : str
        The interval in ``ci_low``/``ci_high``: ``'tango'``, ``'newcombe'``, ``'wald'``,
        ``'bootstrap'``, ``'t'`` or ``'calibrated-bootstrap'``.
    outcome : str
        ``'verdict'`` (pass rates) or ``'score'`` (mean scores).
    by : str or None
        The segment column (``None``: overall only).
    max_regression, bound, adjust
        The gate's settings (see :func:`evalkit.compare_runs`).
    gate_passed : bool
        No scope (overall or segment) regressed.
    regressions : tuple of str
        The scopes that regressed (``'(all)'`` is the overall row).
    n_pairs : int
        Paired cases compared.
    only_baseline, only_candidate : tuple of str
        Case ids left out because the other run lacks them (``unmatched='drop'``).
    n_outside_cases : int
        Rows left out because they are not in the case list (``cases=``).
    calibrated : bool
        Rates are bias-corrected with a calibration per run.
    details : DataFrame
        One row per scope; :meth:`to_frame` returns a copy.
    """

    statistic: float
    confidence_interval: ConfidenceInterval
    standard_error: float = math.nan
    confidence_level: float = 0.95
    method: str = "tango"
    outcome: str = "verdict"
    by: str | None = None
    max_regression: float = 0.03
    bound: str = "lower"
    adjust: str = "holm"
    gate_passed: bool = True
    regressions: tuple[str, ...] = ()
    n_pairs: int = 0
    only_baseline: tuple[str, ...] = ()
    only_candidate: tuple[str, ...] = ()
    n_outside_cases: int = 0
    calibrated: bool = False
    details: pd.DataFrame

    def to_frame(self) -> pd.DataFrame:
        """One row per scope (``'(all)'`` first): counts, rates, delta, intervals, tests, flag.

        Columns: ``scope, segment, n`` (and ``n11, n10, n01, n00`` for verdicts),
        ``baseline_rate, candidate_rate, delta, ci_low, ci_high`` (the ``method`` interval),
        the other intervals (``tango_*``, ``newcombe_*``, ``bootstrap_*`` or ``t_*``),
        ``standard_error`` (of the delta: Wald for verdicts, the t standard error for scores,
        the bootstrap's with a calibration), ``p_value, p_holm, p_bh, p_adjusted``,
        ``significant`` (``p_adjusted < 1 - confidence_level``), ``gate_value`` (the bound the
        gate read) and ``regressed``. With a calibration, ``raw_baseline_rate``,
        ``raw_candidate_rate`` and ``raw_delta`` keep the judge's uncorrected figures.

        Examples
        --------
        >>> import pandas as pd, evalkit
        >>> t = pd.DataFrame({"segment": ["a", "b"], "n11": [80, 70], "n10": [2, 12],
        ...                   "n01": [6, 1], "n00": [12, 17]})
        >>> res = evalkit.compare_runs(t, n_resamples=0)
        >>> res.to_frame()[["segment", "delta", "regressed"]]
          segment  delta  regressed
        0   (all)  -0.035       True
        1       a   0.040      False
        2       b  -0.110       True
        """
        return self.details.copy()

    @property
    def tables(self) -> pd.DataFrame:
        """The sufficient statistics per scope (paired 2x2 tables for verdicts)."""
        cols = ["n11", "n10", "n01", "n00"] if self.outcome == "verdict" else ["n"]
        return self.details.set_index("segment")[cols].copy()

    def summary(self) -> dict[str, Any]:
        """A JSON-ready summary (what ``evalkit gate --json`` prints)."""
        rows = json.loads(self.details.to_json(orient="records", double_precision=15))
        return {
            "gate_passed": self.gate_passed, "regressions": list(self.regressions),
            "outcome": self.outcome, "by": self.by, "max_regression": self.max_regression,
            "bound": self.bound, "adjust": self.adjust, "method": self.method,
            "confidence_level": self.confidence_level, "calibrated": self.calibrated,
            "n_pairs": self.n_pairs, "n_only_baseline": len(self.only_baseline),
            "n_only_candidate": len(self.only_candidate), "n_outside_cases": self.n_outside_cases,
            "delta": _num(self.statistic), "ci_low": _num(self.confidence_interval.low),
            "ci_high": _num(self.confidence_interval.high), "segments": rows,
        }

    def _gate_sentence(self) -> str:
        what = ("lower bound of the " + f"{self.confidence_level:.0%} interval"
                if self.bound == "lower" else "point estimate")
        return (f"a scope regresses when the {what} of its delta is below "
                f"-{self.max_regression:g}")

    def to_markdown(self) -> str:
        """A markdown report (used for ``$GITHUB_STEP_SUMMARY``); names are escaped."""
        head = "✅ release gate passed" if self.gate_passed else "❌ release gate failed"
        lvl = f"{self.confidence_level:.0%}"
        lines = [f"### {head}", "", f"{self.n_pairs} paired cases; {self._gate_sentence()}; "
                 f"p-values adjusted with {self.adjust}.", "",
                 f"| segment | n | baseline | candidate | delta | {lvl} CI | p (adj.) | result |",
                 "|---|---|---|---|---|---|---|---|"]
        for r in self.details.itertuples(index=False):
            lines.append(
                f"| {_md(r.segment)} | {r.n} | {r.baseline_rate:.3f} | {r.candidate_rate:.3f} | "
                f"{r.delta:+.3f} | {r.ci_low:+.3f} to {r.ci_high:+.3f} | {r.p_adjusted:.3g} | "
                f"{'REGRESSED' if r.regressed else 'ok'} |")
        unmatched = len(self.only_baseline) + len(self.only_candidate)
        if unmatched:
            lines += ["", f"{unmatched} unmatched case(s) dropped ({len(self.only_baseline)} only "
                      f"in the baseline, {len(self.only_candidate)} only in the candidate)."]
        return "\n".join(lines) + "\n"

    def _repr_html_(self) -> str:
        lo, hi = self.confidence_interval
        verdict = ("<span style='color:#2a7'>gate passed</span>" if self.gate_passed
                   else "<span style='color:#c33'>gate failed: "
                   + html.escape(", ".join(self.regressions)) + "</span>")
        head = (f"<b>candidate - baseline</b> = {self.statistic:+.4g} "
                f"<span style='color:#555'>({self.confidence_level:.0%} CI {lo:+.4g} to "
                f"{hi:+.4g}, {html.escape(self.method)})</span>; {verdict}")
        cols = ["segment", "n", "baseline_rate", "candidate_rate", "delta", "ci_low", "ci_high",
                "p_value", "p_adjusted", "regressed"]
        th = "".join(f"<th>{html.escape(c)}</th>" for c in cols)
        body = []
        for _, r in self.details.iterrows():
            cells = "".join(f"<td>{html.escape(_fmt(r[c]))}</td>" for c in cols)
            style = " style='background:rgba(204,51,51,0.12)'" if r["regressed"] else ""
            body.append(f"<tr{style}>{cells}</tr>")
        note = html.escape(self._gate_sentence())
        return (f"<div class='evalkit-run-comparison'>{head}<br><small>{note}</small>"
                f"<table><thead><tr>{th}</tr></thead><tbody>{''.join(body)}</tbody></table></div>")

    def __str__(self) -> str:
        lo, hi = self.confidence_interval
        gate = "passed" if self.gate_passed else "FAILED (" + ", ".join(self.regressions) + ")"
        return (f"candidate - baseline = {self.statistic:+.4f} [{lo:+.4f}, {hi:+.4f}] "
                f"({self.method}, n={self.n_pairs}); gate {gate}")

    def plot(self, *, title: str | None = None) -> Any:
        """Forest plot of the deltas per segment with their intervals and the margin line."""
        from evalkit.plots.compare import delta_forest_figure

        return delta_forest_figure(self, title=title)


def _num(x: float) -> float | None:
    return None if not math.isfinite(x) else float(x)


def _fmt(v: Any) -> str:
    if isinstance(v, (bool, np.bool_)):
        return "yes" if v else "no"
    if isinstance(v, (float, np.floating)):
        return f"{float(v):.4g}"
    return str(v)
