"""What every agreement coefficient shares: the result type, argument checks, weights, assembly.

:class:`AgreementResult` is re-exported from :mod:`evalkit.stats.agreement`.
"""

from __future__ import annotations

import math
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from evalkit.stats._common import (
    BOOTSTRAP_METHODS,
    ConfidenceInterval,
    Estimate,
    check_choice,
    check_confidence_level,
    check_n_resamples,
)
from evalkit.stats._warnings import DegenerateDataWarning, StatisticsInputError, warn_user

IntervalMethod = Literal["analytic", "bootstrap"]
Weights = Literal["linear", "quadratic"]
INTERVAL_METHODS: tuple[str, ...] = ("analytic", "bootstrap")
WEIGHTS: tuple[str, ...] = ("linear", "quadratic")


@dataclass(frozen=True, slots=True, kw_only=True)
class AgreementResult(Estimate):
    """An agreement coefficient with its confidence interval.

    Attributes
    ----------
    statistic : float
        The coefficient (``nan`` when undefined, with an ``UndefinedStatisticWarning``).
    confidence_interval : ConfidenceInterval
        ``(low, high)`` at ``confidence_level``.
    standard_error : float
        Analytic standard error, or the bootstrap standard deviation.
    method : str
        ``"gwet-linearization"``, ``"fleiss-cohen-everitt"`` or ``"bootstrap-bca"`` (etc.).
    coefficient : str
        Which coefficient, e.g. ``"fleiss_kappa"``.
    n_units : int
        Units that entered the computation (see each function's Notes).
    n_raters : int
        Rater columns.
    n_categories : int
        Categories (``q``).
    observed_agreement, chance_agreement : float
        ``pa`` and ``pe`` of ``(pa - pe) / (1 - pe)`` (for alpha: ``1 - D_o`` and ``1 - D_e``
        on the normalised distance scale).
    categories : tuple
        The category labels, in order.
    """

    coefficient: str = ""
    n_units: int = 0
    n_raters: int = 0
    n_categories: int = 0
    observed_agreement: float = math.nan
    chance_agreement: float = math.nan
    categories: tuple[Hashable, ...] = ()


# --------------------------------------------------------------------------- shared plumbing


def _check_common(
    method: str, allowed: tuple[str, ...], confidence_level: float, n_resamples: int, bm: str
) -> float:
    check_choice("method", method, allowed)
    check_choice("bootstrap_method", bm, BOOTSTRAP_METHODS)
    check_n_resamples(n_resamples)
    return check_confidence_level(confidence_level)


def _finish(
    *,
    coefficient: str,
    name: str,
    statistic: float,
    interval: ConfidenceInterval,
    se: float,
    method: str,
    confidence_level: float,
    n_units: int,
    n_raters: int,
    categories: NDArray[Any],
    pa: float,
    pe: float,
    upper: float = 1.0,
    lower: float = -math.inf,
) -> AgreementResult:
    lo, hi = interval
    if math.isfinite(hi):
        hi = min(hi, upper)  # a coefficient never exceeds its maximum (Gwet 2014 truncates too)
    if math.isfinite(lo):
        lo = max(lo, lower)  # nor falls below its minimum (a t quantile on 1 df reaches -10)
    if math.isfinite(statistic):
        _warn_degenerate(name, int(n_units), float(pa), method)
    return AgreementResult(
        statistic=float(statistic),
        confidence_interval=ConfidenceInterval(float(lo), float(hi)),
        standard_error=float(se),
        confidence_level=confidence_level,
        method=method,
        name=name,
        coefficient=coefficient,
        n_units=int(n_units),
        n_raters=int(n_raters),
        n_categories=int(categories.size),
        observed_agreement=float(pa),
        chance_agreement=float(pe),
        categories=tuple(c.item() if isinstance(c, np.generic) else c for c in categories),
    )


_NAN_CI = ConfidenceInterval(math.nan, math.nan)

# Below this many units an agreement interval is not worth its digits (Gwet 2014 recommends
# far more); the warning says so instead of printing a confident interval.
MIN_UNITS = 10


def _warn_degenerate(name: str, n_units: int, pa: float, method: str) -> None:
    if pa >= 1.0 - 1e-12:
        warn_user(DegenerateDataWarning,
                  f"{name}: no disagreement at all among {n_units} units: the {method} interval "
                  "collapses to the maximum, which is not evidence of perfect agreement (it "
                  "says nothing about how often raters would disagree on new units).")
    elif n_units < MIN_UNITS:
        warn_user(DegenerateDataWarning,
                  f"{name}: only {n_units} units (fewer than {MIN_UNITS}): the {method} "
                  "interval is unreliable at this size.")


# --------------------------------------------------------------------------- weights


def _agreement_weights(
    weights: str | None, categories: NDArray[Any], *, by_value: bool
) -> NDArray[np.float64]:
    """Identity, linear or quadratic agreement weights (1 on the diagonal)."""
    q = categories.size
    if weights is None:
        return np.eye(q)
    check_choice("weights", weights, WEIGHTS)
    try:
        x = np.asarray(categories, dtype=np.float64) if by_value else np.arange(q, dtype=float)
    except (TypeError, ValueError):
        x = np.arange(q, dtype=float)  # labels that are not numbers: use their ranks (Gwet 2014)
    span = float(x.max() - x.min()) if q > 1 else 1.0
    diff = np.abs(x[:, None] - x[None, :]) / span
    return 1.0 - (diff if weights == "linear" else diff**2)


def _check_weights(weights: Any) -> None:
    if weights is not None and weights not in WEIGHTS:
        raise StatisticsInputError(
            f"`weights` must be one of None, 'linear', 'quadratic'; got {weights!r}."
        )
