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
) -> AgreementResult:
    lo, hi = interval
    if math.isfinite(hi):
        hi = min(hi, upper)  # a coefficient never exceeds its maximum (Gwet 2014 truncates too)
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
        raise ValueError(f"`weights` must be one of None, 'linear', 'quadratic'; got {weights!r}.")
