"""The check model: what a check is, its verdict arrays, the ``@check`` decorator and typed errors.

A check maps the canonical trace frame to one verdict per trace: ``pass``, ``fail``, ``n/a``
(the check does not apply, e.g. no tool was called) or ``error`` (the check raised on that trace),
each with a short reason. Internally verdicts are ``int8`` codes and reasons a
:class:`pandas.Categorical`, so a million traces cost a few megabytes per check.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from evalkit.errors import EvalkitError

#: The four verdicts, in code order (``VERDICTS[code]``).
VERDICTS: tuple[str, str, str, str] = ("pass", "fail", "n/a", "error")
PASS, FAIL, NA, ERROR = 0, 1, 2, 3

CheckKind = Literal["row", "vectorized"]


class CheckError(EvalkitError, ValueError):
    """A check is misconfigured (bad argument, schema that does not compile, unsafe regex...)."""


class CheckConfigError(CheckError):
    """A checks config file (or dict) is invalid: unknown check, bad option, unreadable file."""


@dataclass(frozen=True, slots=True)
class Verdicts:
    """One verdict code (``int8``, see :data:`VERDICTS`) and one reason per trace."""

    codes: NDArray[np.int8]
    reasons: Any  # pd.Categorical of str

    def __post_init__(self) -> None:
        if len(self.codes) != len(self.reasons):
            raise CheckError(
                f"verdicts and reasons differ in length: {len(self.codes)} vs {len(self.reasons)}."
            )


def verdicts_from(
    n: int,
    conditions: Sequence[tuple[Any, int, Any]],
    *,
    default: int = PASS,
    default_reason: str = "",
) -> Verdicts:
    """Build verdicts from ordered ``(mask, code, reason)`` rules; the first matching rule wins.

    ``reason`` is a string or an object array of length ``n`` (only its masked entries are used).

    Examples
    --------
    >>> import numpy as np
    >>> v = verdicts_from(3, [(np.array([True, False, False]), FAIL, "bad")])
    >>> [VERDICTS[c] for c in v.codes], list(v.reasons)
    (['fail', 'pass', 'pass'], ['bad', '', ''])
    """
    codes = np.full(n, default, dtype=np.int8)
    # reasons are built as categorical codes directly: no object array of n strings
    cats: dict[str, int] = {default_reason: 0}
    rcodes = np.zeros(n, dtype=np.int32)
    taken = np.zeros(n, dtype=bool)
    for mask, code, reason in conditions:
        m = np.asarray(mask, dtype=bool) & ~taken
        if not m.any():
            continue
        codes[m] = code
        if isinstance(reason, str):
            rcodes[m] = cats.setdefault(reason, len(cats))
        else:
            vals = np.asarray(reason, dtype=object)[m]
            fcodes, uniq = pd.factorize(vals.astype(str))
            remap = np.array([cats.setdefault(str(u), len(cats)) for u in uniq], dtype=np.int32)
            rcodes[m] = remap[fcodes] if len(uniq) else 0
        taken |= m
    reasons = pd.Categorical.from_codes(rcodes, categories=pd.Index(list(cats), dtype=object))
    return Verdicts(codes=codes, reasons=reasons)


@dataclass(frozen=True, slots=True, kw_only=True)
class Check:
    """A named check: a function over the trace frame (vectorized) or over one trace (row).

    Attributes
    ----------
    name : str
        The check's name (``check`` column of the results; ``source="check:<name>"`` in labels).
    func : callable
        ``func(frame) -> Verdicts | Series | DataFrame | tuple`` (vectorized) or
        ``func(row: dict) -> bool | str | tuple | None`` (row); see :func:`check`.
    kind : {'row', 'vectorized'}
    columns : tuple of str
        Columns the check reads (empty: any). Missing columns are a typed error before the run.
    description : str
        One line for reports.
    params : dict
        The factory arguments, for reports and configs.
    """

    name: str
    func: Callable[..., Any] = field(repr=False)
    kind: CheckKind = "vectorized"
    columns: tuple[str, ...] = ()
    description: str = ""
    params: dict[str, Any] = field(default_factory=dict, repr=False)

    def __call__(self, traces: pd.DataFrame) -> pd.DataFrame:
        """Run this one check; same as ``run_checks(traces, [self]).frame``."""
        from evalkit.checks._run import run_checks

        return run_checks(traces, [self], by=None).frame

    def renamed(self, name: str) -> Check:
        """Return the same check under another name (to run one factory twice)."""
        _check_name(name)
        return Check(name=name, func=self.func, kind=self.kind, columns=self.columns,
                     description=self.description, params=self.params)


def _check_name(name: Any) -> str:
    if not isinstance(name, str) or not name.strip() or any(c in name for c in "<>&\n\r\t"):
        raise CheckError(
            f"a check name must be a non-empty string without '<', '>', '&' or control "
            f"characters; got {name!r}."
        )
    return name


def check(
    func: Callable[..., Any] | None = None,
    *,
    name: str | None = None,
    vectorized: bool = False,
    columns: Sequence[str] = (),
    description: str | None = None,
) -> Any:
    """Turn a plain function into a :class:`Check` (usable bare or with options).

    Parameters
    ----------
    func : callable
        Row-wise (default): ``func(row)`` gets one trace as a dict of canonical columns and
        returns ``True``/``False`` (pass/fail), ``None`` (n/a), a verdict string
        (``'pass'``, ``'fail'``, ``'n/a'``) or ``(verdict, reason)``.
        Vectorized (``vectorized=True``): ``func(frame)`` returns a boolean Series/array
        (``True`` pass, ``False`` fail, ``NA`` n/a), a DataFrame with ``verdict`` and ``reason``
        columns, or a ``(verdict, reason)`` pair of arrays, aligned with the frame's rows.
    name : str, optional
        Default: the function's ``__name__``.
    vectorized : bool, default False
    columns : sequence of str
        Columns the check reads; checked before the run and, for row checks, the only ones
        passed in ``row`` (faster).
    description : str, optional
        Default: the first line of the docstring.

    Returns
    -------
    Check

    Examples
    --------
    >>> import evalkit
    >>> @evalkit.check
    ... def mentions_ticket(row):
    ...     return "SUP-" in row["output"]
    >>> mentions_ticket.name, mentions_ticket.kind
    ('mentions_ticket', 'row')
    >>> @evalkit.check(vectorized=True, columns=["output"])
    ... def short_answer(frame):
    ...     return frame["output"].str.len() < 2000
    >>> short_answer.kind
    'vectorized'
    """
    def wrap(f: Callable[..., Any]) -> Check:
        if not callable(f):
            raise CheckError(f"@check needs a function; got {type(f).__name__}.")
        if isinstance(f, Check):
            return f
        nm = _check_name(name if name is not None else getattr(f, "__name__", ""))
        doc = description
        if doc is None:
            doc = (inspect.getdoc(f) or "").strip().splitlines()[0] if inspect.getdoc(f) else ""
        cols = tuple(columns)
        bad = [c for c in cols if not isinstance(c, str)]
        if bad:
            raise CheckError(f"`columns` must be strings; got {bad!r}.")
        out = Check(name=nm, func=f, kind="vectorized" if vectorized else "row",
                    columns=cols, description=doc)
        return out

    if func is not None:
        return wrap(func)
    return wrap


# ------------------------------------------------------------------ coercing user return values

_VERDICT_CODE = {"pass": PASS, "fail": FAIL, "n/a": NA, "na": NA, "error": ERROR}


def verdict_code(value: Any) -> int:
    """Map a check's return value to a verdict code (``True`` pass, ``False`` fail, ``None`` n/a).

    Examples
    --------
    >>> [verdict_code(v) for v in (True, False, None, "fail", "n/a")]
    [0, 1, 2, 1, 2]
    """
    if value is None or value is pd.NA:
        return NA
    if isinstance(value, (bool, np.bool_)):
        return PASS if value else FAIL
    if isinstance(value, str) and value.lower() in _VERDICT_CODE:
        return _VERDICT_CODE[value.lower()]
    if isinstance(value, float) and value != value:
        return NA
    raise CheckError(
        "a check must return True/False, None, 'pass', 'fail', 'n/a' or (verdict, reason); "
        f"got {value!r}."
    )


def coerce_row_result(value: Any) -> tuple[int, str]:
    """``(code, reason)`` from a row check's return value."""
    if isinstance(value, tuple):
        if len(value) != 2:
            raise CheckError(f"a row check returned a tuple of length {len(value)}; "
                             "expected (verdict, reason).")
        code = verdict_code(value[0])
        return code, "" if value[1] is None else str(value[1])
    return verdict_code(value), ""


def coerce_vectorized(value: Any, n: int) -> Verdicts:
    """Verdicts from what a vectorized check returned (see :func:`check`)."""
    if isinstance(value, Verdicts):
        out = value
    elif isinstance(value, pd.DataFrame):
        if "verdict" not in value.columns:
            raise CheckError("a vectorized check returned a DataFrame without a 'verdict' "
                             f"column; columns: {list(map(str, value.columns))}.")
        reason = value["reason"] if "reason" in value.columns else None
        out = _from_arrays(value["verdict"], reason, n)
    elif isinstance(value, tuple) and len(value) == 2:
        out = _from_arrays(value[0], value[1], n)
    else:
        out = _from_arrays(value, None, n)
    if len(out.codes) != n:
        raise CheckError(f"a vectorized check returned {len(out.codes)} verdicts for {n} traces.")
    return out


def _from_arrays(verdict: Any, reason: Any, n: int) -> Verdicts:
    s = pd.Series(verdict).reset_index(drop=True) if not isinstance(verdict, pd.Series) else (
        verdict.reset_index(drop=True))
    if len(s) != n:
        raise CheckError(f"a vectorized check returned {len(s)} verdicts for {n} traces.")
    if pd.api.types.is_bool_dtype(s.dtype) or (
        s.dtype == object and s.map(lambda v: isinstance(v, (bool, np.bool_)) or v is None
                                    or v is pd.NA).all()
    ):
        b = s.astype("boolean")
        codes = np.where(b.isna().to_numpy(), NA, np.where(b.fillna(False).to_numpy(), PASS, FAIL))
        codes = codes.astype(np.int8)
    else:
        codes = np.fromiter((verdict_code(v) for v in s.tolist()), dtype=np.int8, count=n)
    if reason is None:
        reasons = pd.Categorical(np.full(n, "", dtype=object))
    else:
        r = pd.Series(reason).reset_index(drop=True)
        if len(r) != n:
            raise CheckError(f"a vectorized check returned {len(r)} reasons for {n} traces.")
        reasons = pd.Categorical(r.astype(object).where(r.notna(), "").astype(str))
    return Verdicts(codes=codes, reasons=reasons)


def str_list(value: Any, what: str, *, allow_empty: bool = False) -> list[str]:
    """Validate a list (or tuple) of non-empty strings; a typed error names ``what``.

    Examples
    --------
    >>> str_list(["a", "b"], "segments")
    ['a', 'b']
    >>> str_list("a", "segments")
    Traceback (most recent call last):
    ...
    evalkit.checks._core.CheckError: `segments` must be a list of non-empty strings; got 'a'.
    """
    ok = isinstance(value, (list, tuple)) and all(isinstance(v, str) and v for v in value)
    if not ok or (not value and not allow_empty):
        raise CheckError(f"`{what}` must be a list of non-empty strings; got {value!r:.80}.")
    return list(value)
