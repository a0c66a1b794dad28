"""Shared pieces of evalkit.stats: interval and result types, validation, and the bootstrap engine.

The bootstrap engine works on *sufficient statistics*. A statistic is written as a vectorised
function of per-unit contributions summed over units (coincidence matrices, confusion-matrix cells,
category counts...). Resampling units with replacement is then the same as drawing multinomial
weights over the *distinct* unit rows, so a 2,000-resample bootstrap over 100,000 units costs one
small matrix product instead of 2,000 recomputations on raw data.
"""

from __future__ import annotations

import html
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any, Literal, NamedTuple

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike, NDArray
from scipy import special, stats

from evalkit.errors import UndefinedStatisticWarning
from evalkit.stats._warnings import StatisticsInputError, StatisticsTypeError

RNGLike = np.random.Generator | int | None
BootstrapMethod = Literal["bca", "percentile", "basic"]
BOOTSTRAP_METHODS: tuple[str, ...] = ("bca", "percentile", "basic")


class ConfidenceInterval(NamedTuple):
    """A two-sided confidence interval, as in :mod:`scipy.stats`."""

    low: float
    high: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Estimate:
    """A point estimate with its confidence interval.

    Attributes
    ----------
    statistic : float
        The point estimate.
    confidence_interval : ConfidenceInterval
        ``(low, high)`` at ``confidence_level``.
    standard_error : float
        Standard error of the estimate (``nan`` where the method gives none).
    confidence_level : float
        Nominal coverage of the interval.
    method : str
        How the interval was computed.
    name : str
        What is estimated, for display.
    """

    statistic: float
    confidence_interval: ConfidenceInterval
    standard_error: float = math.nan
    confidence_level: float = 0.95
    method: str = ""
    name: str = ""

    def to_dict(self) -> dict[str, Any]:
        """Return a flat dict: the interval is split into ``ci_low`` and ``ci_high``."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if f.name == "confidence_interval":
                out["ci_low"], out["ci_high"] = float(value.low), float(value.high)
            elif isinstance(value, np.generic):
                out[f.name] = value.item()
            elif isinstance(value, (str, int, float, bool, type(None))):
                out[f.name] = value
        return out

    def to_frame(self) -> pd.DataFrame:
        """Return a one-row tidy frame (``statistic, ci_low, ci_high, standard_error, ...``)."""
        return pd.DataFrame([self.to_dict()])

    def _repr_html_(self) -> str:
        d = self.to_dict()
        title = html.escape(d.pop("name", "") or type(self).__name__)
        stat, lo, hi = d.pop("statistic"), d.pop("ci_low"), d.pop("ci_high")
        level = d.pop("confidence_level", 0.95)
        head = (
            f"<b>{title}</b> = {stat:.4g} "
            f"<span style='color:#555'>({level:.0%} CI {lo:.4g} to {hi:.4g})</span>"
        )
        rows = "".join(
            f"<tr><td style='text-align:left'>{html.escape(str(k))}</td>"
            f"<td style='text-align:left'>{html.escape(_fmt(v))}</td></tr>"
            for k, v in d.items()
        )
        return f"<div class='evalkit-estimate'>{head}<table>{rows}</table></div>"

    def __str__(self) -> str:
        lo, hi = self.confidence_interval
        name = self.name or type(self).__name__
        return f"{name} = {self.statistic:.4g} [{lo:.4g}, {hi:.4g}] ({self.method})"


def _fmt(v: Any) -> str:
    return f"{v:.4g}" if isinstance(v, float) else str(v)


# --------------------------------------------------------------------------- validation


def check_confidence_level(confidence_level: float) -> float:
    """Validate ``confidence_level`` in (0, 1) and return it as float.

    Examples
    --------
    >>> check_confidence_level(0.9)
    0.9
    """
    try:
        cl = float(confidence_level)
    except (TypeError, ValueError):
        raise StatisticsTypeError(
            f"`confidence_level` must be a number in (0, 1); got {confidence_level!r}."
        ) from None
    if not 0.0 < cl < 1.0:
        raise StatisticsInputError(
            f"`confidence_level` must be in (0, 1); got {confidence_level!r}."
        )
    return cl


def check_n_resamples(n_resamples: int) -> int:
    """Validate ``n_resamples`` as a positive integer."""
    if isinstance(n_resamples, bool) or not isinstance(n_resamples, (int, np.integer)):
        raise StatisticsTypeError(f"`n_resamples` must be a positive integer; got {n_resamples!r}.")
    if n_resamples < 1:
        raise StatisticsInputError(
            f"`n_resamples` must be a positive integer; got {n_resamples!r}."
        )
    return int(n_resamples)


def check_choice(name: str, value: Any, allowed: tuple[str, ...]) -> str:
    """Validate that ``value`` is one of ``allowed``; the message lists the choices.

    Examples
    --------
    >>> check_choice("level", "ordinl", ("nominal", "ordinal"))
    Traceback (most recent call last):
    ...
    evalkit.stats.StatisticsInputError: `level` must be one of 'nominal', 'ordinal'; got 'ordinl'.
    """
    if value not in allowed:
        choices = ", ".join(repr(a) for a in allowed)
        raise StatisticsInputError(f"`{name}` must be one of {choices}; got {value!r}.")
    return str(value)


def as_rng(rng: RNGLike) -> np.random.Generator:
    """Return a Generator from ``rng`` (Generator, seed or None); never global state."""
    return np.random.default_rng(rng)


def warn_undefined(message: str, *, stacklevel: int = 3) -> None:
    """Emit :class:`UndefinedStatisticWarning` (the statistic is returned as ``nan``)."""
    warnings.warn(message, UndefinedStatisticWarning, stacklevel=stacklevel)


def z_value(confidence_level: float) -> float:
    """Two-sided normal quantile, e.g. 1.95996... for 0.95."""
    return float(special.ndtri(0.5 + confidence_level / 2.0))


def normal_interval(
    estimate: float, standard_error: float, confidence_level: float
) -> ConfidenceInterval:
    """Wald interval ``estimate +/- z * se``."""
    z = z_value(confidence_level)
    return ConfidenceInterval(estimate - z * standard_error, estimate + z * standard_error)


def t_interval(
    estimate: float, standard_error: float, df: float, confidence_level: float
) -> ConfidenceInterval:
    """Student-t interval ``estimate +/- t_{df} * se`` (Gwet's convention for agreement CIs)."""
    t = float(stats.t.ppf(0.5 + confidence_level / 2.0, df)) if df > 0 else math.nan
    return ConfidenceInterval(estimate - t * standard_error, estimate + t * standard_error)


# --------------------------------------------------------------------------- bootstrap engine


@dataclass(frozen=True, slots=True)
class CompressedUnits:
    """Distinct per-unit sufficient-statistic rows and how often each occurs."""

    rows: NDArray[np.float64]  # (n_distinct, d)
    counts: NDArray[np.int64]  # (n_distinct,)

    @property
    def n_units(self) -> int:
        """Number of units."""
        return int(self.counts.sum())

    def total(self) -> NDArray[np.float64]:
        """Sum of the per-unit rows over all units, shape ``(d,)``."""
        return np.asarray(self.counts @ self.rows, dtype=np.float64)


def compress_units(unit_stats: ArrayLike) -> CompressedUnits:
    """Collapse identical unit rows; resampling units = multinomial weights on the distinct rows.

    Parameters
    ----------
    unit_stats : array_like, shape (n_units, d)
        Each unit's contribution to the summed sufficient statistics.
    """
    a = np.asarray(unit_stats, dtype=np.float64)
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim != 2:
        raise StatisticsInputError(
            f"`unit_stats` must be 2-D (units x statistics); got shape {a.shape}."
        )
    rows, counts = np.unique(a, axis=0, return_counts=True)
    return CompressedUnits(rows=rows, counts=counts.astype(np.int64))


def resample_sums(
    units: CompressedUnits,
    n_resamples: int,
    rng: np.random.Generator,
    *,
    max_cells: int = 2**19,
) -> NDArray[np.float64]:
    """Summed sufficient statistics for ``n_resamples`` bootstrap resamples of the units.

    Each resample draws ``n_units`` units with replacement. With few distinct rows (``k``) that is
    a multinomial draw over the rows with probabilities ``counts / n_units``; when most units are
    distinct (many categories), drawing unit indices and counting them is cheaper. Either way the
    work is done in batches of at most ``max_cells`` weights, so memory stays bounded.
    Returns shape ``(n_resamples, d)``.
    """
    rows, counts = units.rows, units.counts
    k, d = rows.shape
    n = units.n_units
    out = np.empty((n_resamples, d), dtype=np.float64)
    if k * 10 < n:
        p = counts / n
        batch = max(1, min(n_resamples, max_cells // k))
        for start in range(0, n_resamples, batch):
            m = min(batch, n_resamples - start)
            out[start : start + m] = rng.multinomial(n, p, size=m) @ rows
        return out
    # units listed by distinct row: drawing positions in it is drawing units, independent of the
    # order the units came in
    canonical = np.repeat(np.arange(k, dtype=np.int64), counts)
    batch = max(1, min(n_resamples, max_cells // max(n, k)))
    for start in range(0, n_resamples, batch):
        m = min(batch, n_resamples - start)
        picked = canonical[rng.integers(0, n, size=(m, n))]
        picked += (np.arange(m, dtype=np.int64) * k)[:, None]
        w = np.bincount(picked.ravel(), minlength=m * k).reshape(m, k)
        out[start : start + m] = w @ rows
    return out


def jackknife_sums(units: CompressedUnits) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Leave-one-unit-out sums for each distinct row, with how many units each stands for."""
    return units.total()[None, :] - units.rows, units.counts


@dataclass(frozen=True, slots=True, kw_only=True)
class BootstrapResult:
    """Outcome of :func:`bootstrap_interval`."""

    confidence_interval: ConfidenceInterval
    standard_error: float
    distribution: NDArray[np.float64]
    method: str


def bootstrap_interval(
    statistic: Callable[..., NDArray[np.float64]],
    *samples: CompressedUnits,
    n_resamples: int = 2000,
    confidence_level: float = 0.95,
    method: BootstrapMethod = "bca",
    rng: RNGLike = None,
) -> BootstrapResult:
    """Bootstrap interval for a statistic of one or more independently resampled samples.

    Parameters
    ----------
    statistic : callable
        ``statistic(sums_1, sums_2, ...)``, vectorised: each ``sums_k`` has shape ``(m, d_k)``
        (the summed unit rows of sample ``k``); it returns shape ``(m,)``.
    *samples : CompressedUnits
        One per independent sample (e.g. a calibration set and an unlabeled set), see
        :func:`compress_units`. Each is resampled on its own.
    n_resamples, confidence_level, rng
        As usual; ``rng`` seeds everything.
    method : {'bca', 'percentile', 'basic'}
        BCa (Efron 1987) uses a jackknife over units, computed cheaply from the sums.

    Returns
    -------
    BootstrapResult
        ``confidence_interval``, ``standard_error`` (sd of the finite bootstrap values),
        ``distribution`` and ``method``.

    Examples
    --------
    >>> import numpy as np
    >>> x = compress_units(np.r_[np.ones(30), np.zeros(70)])
    >>> mean = lambda s: s[:, 0] / 100
    >>> res = bootstrap_interval(mean, x, n_resamples=2000, rng=1)
    >>> bool(res.confidence_interval.low < 0.3 < res.confidence_interval.high)
    True
    """
    check_choice("method", method, BOOTSTRAP_METHODS)
    cl = check_confidence_level(confidence_level)
    b = check_n_resamples(n_resamples)
    if not samples:
        raise StatisticsInputError("bootstrap_interval needs at least one sample.")
    gen = as_rng(rng)
    totals = [s.total()[None, :] for s in samples]
    with np.errstate(all="ignore"):
        theta_hat = float(np.asarray(statistic(*totals))[0])
        draws = [resample_sums(s, b, gen) for s in samples]
        dist = np.asarray(statistic(*draws), dtype=np.float64)
    finite = dist[np.isfinite(dist)]
    if finite.size < max(10, b // 2) or not math.isfinite(theta_hat):
        return BootstrapResult(
            confidence_interval=ConfidenceInterval(math.nan, math.nan),
            standard_error=math.nan,
            distribution=dist,
            method=method,
        )
    se = float(np.std(finite, ddof=1))
    alpha = 1.0 - cl
    if method == "percentile":
        lo, hi = np.quantile(finite, [alpha / 2, 1 - alpha / 2])
    elif method == "basic":
        q_lo, q_hi = np.quantile(finite, [alpha / 2, 1 - alpha / 2])
        lo, hi = 2 * theta_hat - q_hi, 2 * theta_hat - q_lo
    else:
        lo, hi = _bca(statistic, samples, totals, theta_hat, finite, alpha)
    return BootstrapResult(
        confidence_interval=ConfidenceInterval(float(lo), float(hi)),
        standard_error=se,
        distribution=dist,
        method=method,
    )


def _bca(
    statistic: Callable[..., NDArray[np.float64]],
    samples: tuple[CompressedUnits, ...],
    totals: list[NDArray[np.float64]],
    theta_hat: float,
    finite: NDArray[np.float64],
    alpha: float,
) -> tuple[float, float]:
    # Bias correction from the share of resamples below the estimate (ties count half).
    prop = (np.sum(finite < theta_hat) + 0.5 * np.sum(finite == theta_hat)) / finite.size
    z0 = float(special.ndtri(np.clip(prop, 1e-10, 1 - 1e-10)))
    # Acceleration from the jackknife: leave out one unit of each sample in turn.
    jk_vals, jk_w = [], []
    for k, s in enumerate(samples):
        loo, counts = jackknife_sums(s)
        args = [np.repeat(t, loo.shape[0], axis=0) for t in totals]
        args[k] = loo
        with np.errstate(all="ignore"):
            jk_vals.append(np.asarray(statistic(*args), dtype=np.float64))
        jk_w.append(counts.astype(np.float64))
    vals, w = np.concatenate(jk_vals), np.concatenate(jk_w)
    ok = np.isfinite(vals)
    vals, w = vals[ok], w[ok]
    mean = np.sum(w * vals) / np.sum(w)
    d = mean - vals
    denom = 6.0 * np.sum(w * d**2) ** 1.5
    a = float(np.sum(w * d**3) / denom) if denom > 0 else 0.0
    z = special.ndtri(np.array([alpha / 2, 1 - alpha / 2]))
    adj = special.ndtr(z0 + (z0 + z) / (1 - a * (z0 + z)))
    if not np.all(np.isfinite(adj)):
        adj = np.array([alpha / 2, 1 - alpha / 2])
    lo, hi = np.quantile(finite, adj)
    return float(lo), float(hi)
