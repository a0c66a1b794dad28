"""Release gates on check pass rates: ``"json_valid>=0.99"`` specs, parsed and evaluated.

A spec is ``<check><op><number>`` with ``op`` one of ``>=``, ``>``, ``<=``, ``<``; the number is
compared with the check's pass rate, ``pass / (pass + fail)`` over the traces where it applied.
A gated check with any ``error`` verdict, or that applied to no trace, fails the gate: a broken
or silent check cannot vouch for a release.
"""

from __future__ import annotations

import html
import operator
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import pandas as pd

from evalkit.checks._core import CheckError

if TYPE_CHECKING:
    from evalkit.checks._result import CheckResult

_SPEC = re.compile(r"^\s*([^<>=\s]+)\s*(>=|<=|>|<)\s*([0-9]*\.?[0-9]+)\s*$")
_OPS: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge, ">": operator.gt, "<=": operator.le, "<": operator.lt,
}


@dataclass(frozen=True, slots=True)
class GateSpec:
    """One parsed gate condition on a check's pass rate."""

    check: str
    op: str
    threshold: float

    def __str__(self) -> str:
        return f"{self.check}{self.op}{self.threshold:g}"


def parse_gate(spec: str) -> GateSpec:
    """Parse ``'json_valid>=0.99'``.

    Examples
    --------
    >>> parse_gate("json_valid >= 0.99")
    GateSpec(check='json_valid', op='>=', threshold=0.99)
    >>> parse_gate("json_valid=0.9")
    Traceback (most recent call last):
    ...
    evalkit.checks._core.CheckError: gate 'json_valid=0.9' must look like 'check>=0.99' ...
    """
    m = _SPEC.match(spec) if isinstance(spec, str) else None
    if m is None:
        raise CheckError(
            f"gate {spec!r} must look like 'check>=0.99' (ops: >=, >, <=, <; a pass rate in "
            "[0, 1])."
        )
    value = float(m.group(3))
    if not 0.0 <= value <= 1.0:
        raise CheckError(f"gate {spec!r}: the pass rate must be in [0, 1]; got {value}.")
    return GateSpec(m.group(1), m.group(2), value)


@dataclass(frozen=True, slots=True, kw_only=True)
class CheckGateResult:
    """Outcome of a gate on check pass rates.

    Attributes
    ----------
    passed : bool
    table : DataFrame
        One row per condition: ``check, condition, pass_rate, ci_low, ci_high, value`` (the
        compared number: the point estimate or the Wilson lower bound), ``n_error``, ``passed``,
        ``why``.
    bound : {'point', 'lower'}
    """

    passed: bool
    table: pd.DataFrame = field(repr=False)
    bound: str

    def to_markdown(self) -> str:
        """A short markdown report."""
        head = "✅ check gate passed" if self.passed else "❌ check gate failed"
        lines = [f"### {head}", "", f"Gate on the **{self.bound}** "
                 f"{'estimate' if self.bound == 'point' else 'bound of the Wilson interval'}"
                 " of each check's pass rate.", "",
                 "| condition | pass rate | CI | errors | result |", "|---|---|---|---|---|"]
        for _, r in self.table.iterrows():
            lines.append(f"| `{html.escape(r['condition'])}` | {r['pass_rate']:.4f} | "
                         f"{r['ci_low']:.4f} to {r['ci_high']:.4f} | {r['n_error']} | "
                         f"{'pass' if r['passed'] else 'FAIL: ' + html.escape(r['why'])} |")
        return "\n".join(lines) + "\n"

    def _repr_html_(self) -> str:
        return "<pre>" + html.escape(self.to_markdown()) + "</pre>"


def gate(result: CheckResult, spec: str | list[str], *,
         bound: Literal["point", "lower"] = "point") -> CheckGateResult:
    """Evaluate gate conditions on a :class:`CheckResult`.

    Parameters
    ----------
    result : CheckResult
    spec : str or list of str
        Conditions such as ``'json_valid>=0.99'`` (all must hold).
    bound : {'point', 'lower'}, default 'point'
        Compare the pass rate itself, or the lower bound of its Wilson interval (for ``>=`` and
        ``>``; the upper bound for ``<=`` and ``<``), as for judges.

    Examples
    --------
    >>> import pandas as pd, evalkit
    >>> t = pd.DataFrame({"trace_id": list("abcd"), "output": ["{}", "{}", "{}", "x"]})
    >>> r = evalkit.run_checks(t, [evalkit.checks.json_valid()], by=None)
    >>> r.gate("json_valid>=0.75").passed, r.gate("json_valid>=0.99").passed
    (True, False)
    """
    if bound not in ("point", "lower"):
        raise CheckError(f"`bound` must be 'point' or 'lower'; got {bound!r}.")
    specs = [spec] if isinstance(spec, str) else list(spec)
    if not specs:
        raise CheckError("`spec` is empty: give at least one condition like 'json_valid>=0.99'.")
    parsed = [parse_gate(s) for s in specs]
    s = result.summary[result.summary["segment"] == "(all)"].set_index("check")
    rows = []
    for g in parsed:
        if g.check not in s.index:
            raise CheckError(f"gate {str(g)!r} names check {g.check!r}, which was not run; "
                             f"checks: {list(result.checks)}.")
        r: dict[Any, Any] = s.loc[g.check].to_dict()
        decided = int(r["n_pass"] + r["n_fail"])
        rate = r["n_pass"] / decided if decided else float("nan")
        lo, hi = 1 - r["ci_high"], 1 - r["ci_low"]  # pass-rate interval from the failure rate's
        value = rate if bound == "point" else (lo if g.op in (">=", ">") else hi)
        why = ""
        if r["n_error"] > 0:
            why = f"{int(r['n_error'])} error verdicts"
        elif decided == 0:
            why = "the check applied to no trace"
        elif not _OPS[g.op](value, g.threshold):
            why = f"{value:.4f} {g.op} {g.threshold:g} does not hold"
        rows.append({"check": g.check, "condition": str(g), "pass_rate": rate, "ci_low": lo,
                     "ci_high": hi, "value": value, "n_error": int(r["n_error"]),
                     "passed": not why, "why": why})
    table = pd.DataFrame(rows)
    return CheckGateResult(passed=bool(table["passed"].all()), table=table, bound=bound)
