"""``CheckResult``: the tidy verdict frame, failure rates with Wilson intervals, and its exports.

The exports feed the rest of the loop: ``to_labels()``/``to_store()`` write
``source="check:<name>"`` labels into the :class:`~evalkit.LabelStore`, ``verdicts()`` is what
:func:`evalkit.calibrate` takes as the "judge", and ``review_queue()`` is a queue for
:class:`evalkit.Annotator`.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from evalkit.checks._core import FAIL, NA, PASS, CheckError
from evalkit.stats._common import ConfidenceInterval, Estimate
from evalkit.stats._proportions import wilson_interval

if TYPE_CHECKING:
    from evalkit.checks._gate import CheckGateResult

SUMMARY_COLUMNS = ["check", "segment", "n", "n_pass", "n_fail", "n_na", "n_error",
                   "failure_rate", "ci_low", "ci_high"]


def summarize(
    codes: NDArray[np.int8], names: list[str], seg: NDArray[Any], by: bool, cl: float
) -> pd.DataFrame:
    """Counts and failure rates (fail / (pass + fail)) per check, overall and per segment."""
    groups: list[tuple[str, NDArray[np.bool_] | None]] = [("(all)", None)]
    if by:
        groups += [(str(s), seg == s) for s in sorted(set(seg.tolist()))]
    rows = []
    for j, name in enumerate(names):
        for label, mask in groups:
            cnt = np.bincount(codes[j] if mask is None else codes[j][mask], minlength=4)
            rows.append([name, label, int(cnt.sum()), *map(int, cnt[:4])])
    out = pd.DataFrame(rows, columns=SUMMARY_COLUMNS[:7])
    decided = (out["n_pass"] + out["n_fail"]).to_numpy()
    with np.errstate(invalid="ignore", divide="ignore"):
        out["failure_rate"] = np.where(decided > 0, out["n_fail"] / np.maximum(decided, 1),
                                       np.nan)
    lo, hi = wilson_interval(out["n_fail"].to_numpy(), decided, confidence_level=cl)
    out["ci_low"], out["ci_high"] = lo, hi
    return out


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckResult:
    """Outcome of :func:`evalkit.run_checks`.

    Attributes
    ----------
    frame : DataFrame
        Tidy: ``trace_id, check, verdict, reason`` (categoricals), one row per trace and check;
        ``verdict`` is ``pass``, ``fail``, ``n/a`` or ``error`` (the check raised; the
        exception is in ``reason``).
    summary : DataFrame
        Per check, overall (segment ``'(all)'``) and per segment: ``n, n_pass, n_fail, n_na,
        n_error, failure_rate`` (= fail / (pass + fail); ``nan`` when no trace was decided) and
        the Wilson interval ``ci_low, ci_high``.
    statistic : float
        Share of traces that fail at least one check.
    confidence_interval : ConfidenceInterval
        Wilson interval of ``statistic``.
    checks : tuple of str
    by : str or None
    n_traces, n_failing : int
    confidence_level : float
    method : str
        ``'wilson'``.
    """

    frame: pd.DataFrame = field(repr=False)
    summary: pd.DataFrame = field(repr=False)
    statistic: float
    confidence_interval: ConfidenceInterval
    checks: tuple[str, ...]
    by: str | None
    n_traces: int
    n_failing: int
    confidence_level: float = 0.95
    method: str = "wilson"
    descriptions: dict[str, str] = field(default_factory=dict, repr=False)
    segments: pd.Series | None = field(default=None, repr=False)

    @classmethod
    def _build(cls, *, n_applicable: int, **kw: Any) -> CheckResult:
        n, k = kw["n_traces"], kw["n_failing"]
        lo, hi = wilson_interval(k, n, confidence_level=kw["confidence_level"])
        stat = k / n if n else float("nan")
        return cls(statistic=stat, confidence_interval=ConfidenceInterval(float(lo), float(hi)),
                   **kw)

    # ------------------------------------------------------------------ views
    def to_frame(self) -> pd.DataFrame:
        """The tidy verdict frame (a copy; ``trace_id, check, verdict, reason``)."""
        return self.frame.copy()

    def _name(self, check: str) -> str:
        if check not in self.checks:
            raise CheckError(f"`check` must be one of {list(self.checks)}; got {check!r}.")
        return check

    def failure_rate(self, check: str, *, segment: str | None = None) -> Estimate:
        """Failure rate of one check (overall or in one segment) with its Wilson interval.

        Examples
        --------
        >>> import pandas as pd, evalkit
        >>> t = pd.DataFrame({"trace_id": list("abcd"), "output": ["{}", "x", "{}", "{}"]})
        >>> r = evalkit.run_checks(t, [evalkit.checks.json_valid()], by=None)
        >>> e = r.failure_rate("json_valid")
        >>> e.statistic, round(e.confidence_interval.high, 3)  # Wilson, 1 of 4
        (0.25, 0.699)
        """
        seg = "(all)" if segment is None else segment
        row = self.summary[(self.summary["check"] == self._name(check))
                           & (self.summary["segment"] == seg)]
        if row.empty:
            segs = sorted(set(self.summary["segment"]) - {"(all)"})
            raise CheckError(f"`segment` must be one of {segs}; got {segment!r}.")
        r = row.iloc[0]
        return Estimate(statistic=float(r["failure_rate"]),
                        confidence_interval=ConfidenceInterval(float(r["ci_low"]),
                                                               float(r["ci_high"])),
                        confidence_level=self.confidence_level, method="wilson",
                        name=f"failure rate of {check}" + ("" if segment is None
                                                           else f" in {segment}"))

    def verdicts(
        self, check: str, *, na: Literal["pass", "fail"] | None = None
    ) -> pd.DataFrame:
        """One check's verdicts as ``trace_id, verdict``: the "judge" for :func:`evalkit.calibrate`.

        Parameters
        ----------
        check : str
        na : {'pass', 'fail'} or None, default None
            What ``n/a`` counts as (e.g. ``'pass'`` for a tool check on traces without tools);
            ``None`` leaves those traces out. ``error`` traces are always left out.

        Examples
        --------
        >>> import pandas as pd, evalkit
        >>> t = pd.DataFrame({"trace_id": list("ab"), "output": ["{}", None]})
        >>> r = evalkit.run_checks(t, [evalkit.checks.json_valid()], by=None)
        >>> r.verdicts("json_valid", na="pass").values.tolist()
        [['a', 'pass'], ['b', 'pass']]
        """
        if na not in (None, "pass", "fail"):
            raise CheckError(f"`na` must be 'pass', 'fail' or None; got {na!r}.")
        f = self.frame[self.frame["check"] == self._name(check)]
        v = f["verdict"].astype(str)
        if na is not None:
            v = v.where(v != "n/a", na)
        keep = v.isin(["pass", "fail"]).to_numpy()
        return pd.DataFrame({"trace_id": f["trace_id"].astype(str).to_numpy()[keep],
                             "verdict": v.to_numpy()[keep]})

    def to_labels(self) -> pd.DataFrame:
        """Pass/fail verdicts as label rows: ``trace_id, annotator, verdict, note, source``.

        ``annotator`` and ``source`` are ``'check:<name>'``; ``note`` is the reason (``None``
        for a pass without one). ``n/a`` and ``error`` verdicts are not labels (the store's
        verdict is pass/fail/defer): they stay in :attr:`frame` and are counted in
        :attr:`summary`.
        """
        f = self.frame[self.frame["verdict"].isin(["pass", "fail"])]
        src = ("check:" + f["check"].astype(str)).to_numpy()
        note = f["reason"].astype(str).to_numpy(dtype=object)
        note[note == ""] = None  # a pass has no reason: no note rather than an empty one
        return pd.DataFrame({"trace_id": f["trace_id"].astype(str).to_numpy(), "annotator": src,
                             "verdict": f["verdict"].astype(str).to_numpy(),
                             # object: a missing note stays None under pandas 3 (not NaN)
                             "note": pd.Series(note, dtype=object), "source": src})

    def to_store(self, store: Any) -> int:
        """Import :meth:`to_labels` into a :class:`~evalkit.LabelStore` (or its path).

        One ``verdict`` label (with the reason as its note) per trace and check, ``source`` and
        annotator ``'check:<name>'``; the Annotator's blind mode hides them like judge labels.
        Returns the number of labels written.
        """
        from evalkit.labels import LabelStore

        own = not isinstance(store, LabelStore)
        st = LabelStore(store) if own else store
        try:
            labels = self.to_labels()
            total = 0
            for src, part in labels.groupby("source", sort=False):
                total += st.import_labels(part, source=str(src), note_col="note")
            return total
        finally:
            if own:
                st.close()

    def review_queue(self, checks: list[str] | None = None, *, errors: bool = True
                     ) -> pd.DataFrame:
        """Traces that failed (or errored on) any of ``checks``, most failures first.

        Returns a frame with ``trace_id`` (what :class:`evalkit.Annotator` takes as
        ``queue=``), ``n_failed``, ``failed_checks`` (``;``-joined), ``reasons`` and
        ``sample_reason``.
        """
        names = list(self.checks) if checks is None else [self._name(c) for c in checks]
        bad = ["fail", "error"] if errors else ["fail"]
        f = self.frame[self.frame["check"].isin(names) & self.frame["verdict"].isin(bad)]
        if f.empty:
            return pd.DataFrame(columns=["trace_id", "n_failed", "failed_checks", "reasons",
                                         "sample_reason"])
        f = f.assign(trace_id=f["trace_id"].astype(str), check=f["check"].astype(str),
                     reason=f["reason"].astype(str))
        first = f.groupby("trace_id", sort=False)
        out = pd.DataFrame({
            "n_failed": first.size(),
            "failed_checks": first["check"].agg(";".join),
            "reasons": first["reason"].agg(" | ".join),
        }).reset_index()
        out["sample_reason"] = "failed check(s): " + out["failed_checks"]
        order = {t: i for i, t in enumerate(self.frame["trace_id"].cat.categories)}
        out["_pos"] = out["trace_id"].map(order)
        out = out.sort_values(["n_failed", "_pos"], ascending=[False, True], kind="stable")
        return out.drop(columns="_pos").reset_index(drop=True)

    def gate(self, spec: str | list[str], *, bound: Literal["point", "lower"] = "point"
             ) -> CheckGateResult:
        """Gate on pass rates, e.g. ``'json_valid>=0.99'`` (see :func:`evalkit.checks.gate`)."""
        from evalkit.checks._gate import gate

        return gate(self, spec, bound=bound)

    # ------------------------------------------------------------------ display
    def to_markdown(self) -> str:
        """A markdown table of the overall failure rates (for ``$GITHUB_STEP_SUMMARY``)."""
        lvl = f"{self.confidence_level:.0%}"
        lines = [f"| check | pass | fail | n/a | error | failure rate | {lvl} CI |",
                 "|---|---|---|---|---|---|---|"]
        for _, r in self.summary[self.summary["segment"] == "(all)"].iterrows():
            lines.append(
                f"| {_md(r['check'])} | {r['n_pass']} | {r['n_fail']} | {r['n_na']} | "
                f"{r['n_error']} | {_pct(r['failure_rate'])} | "
                f"{_pct(r['ci_low'])} to {_pct(r['ci_high'])} |"
            )
        return "\n".join(lines) + "\n"

    def _repr_html_(self) -> str:
        lo, hi = self.confidence_interval
        head = (f"<b>Code checks</b>: {self.n_failing} of {self.n_traces} traces fail at least "
                f"one of {len(self.checks)} checks ({_pct(self.statistic)}, "
                f"{self.confidence_level:.0%} CI {_pct(lo)} to {_pct(hi)})")
        rows = "".join(
            "<tr>" + "".join(f"<td style='text-align:left'>{html.escape(str(v))}</td>" for v in (
                r["check"], r["n_pass"], r["n_fail"], r["n_na"], r["n_error"],
                _pct(r["failure_rate"]), f"{_pct(r['ci_low'])} to {_pct(r['ci_high'])}"))
            + "</tr>"
            for _, r in self.summary[self.summary["segment"] == "(all)"].iterrows()
        )
        th = "".join(f"<th>{h}</th>" for h in ("check", "pass", "fail", "n/a", "error",
                                                 "failure rate", "CI"))
        return (f"<div class='evalkit-checks'>{head}<table><thead><tr>{th}</tr></thead>"
                f"<tbody>{rows}</tbody></table></div>")

    def __str__(self) -> str:
        return (f"CheckResult({len(self.checks)} checks, {self.n_traces} traces, "
                f"{self.n_failing} failing at least one)")


def _pct(x: float) -> str:
    return "n/a" if x != x else f"{100 * x:.1f}%"


def _md(text: str) -> str:
    return html.escape(str(text)).replace("|", "\\|")


__all__ = ["FAIL", "NA", "PASS", "CheckResult", "summarize"]
