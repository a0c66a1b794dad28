"""Vectorised confidence intervals for binomial proportions (Wilson, Clopper-Pearson, Jeffreys).

Every function takes arrays of successes ``k`` and trials ``n`` (broadcast together) and returns
``(low, high)`` arrays, so one call covers all cells of a confusion matrix or thousands of
simulated replications. ``n == 0`` gives ``nan`` bounds.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy import special

from evalkit.stats._common import check_choice, check_confidence_level, z_value
from evalkit.stats._warnings import StatisticsInputError

ProportionMethod = Literal["wilson", "clopper-pearson", "jeffreys"]
PROPORTION_METHODS: tuple[str, ...] = ("wilson", "clopper-pearson", "jeffreys")

FloatArray = NDArray[np.float64]


def _prepare(k: ArrayLike, n: ArrayLike) -> tuple[FloatArray, FloatArray]:
    kk, nn = np.broadcast_arrays(np.asarray(k, dtype=np.float64), np.asarray(n, dtype=np.float64))
    if np.any(kk < 0) or np.any(kk > nn):
        raise StatisticsInputError("`k` must lie in [0, n] for every proportion.")
    return kk, nn


def wilson_interval(
    k: ArrayLike, n: ArrayLike, *, confidence_level: float = 0.95
) -> tuple[FloatArray, FloatArray]:
    r"""Wilson score interval (without continuity correction).

    Notes
    -----
    .. math:: \frac{\hat p + z^2/2n \pm z\sqrt{\hat p(1-\hat p)/n + z^2/4n^2}}{1 + z^2/n}

    References
    ----------
    Wilson, E. B. (1927). Probable inference, the law of succession, and statistical inference.
    JASA 22(158), 209-212. doi:10.1080/01621459.1927.10502953

    Examples
    --------
    >>> lo, hi = wilson_interval(8, 10)
    >>> round(float(lo), 4), round(float(hi), 4)
    (0.4902, 0.9433)
    """
    cl = check_confidence_level(confidence_level)
    kk, nn = _prepare(k, n)
    z = z_value(cl)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = kk / nn
        denom = 1.0 + z**2 / nn
        center = (p + z**2 / (2 * nn)) / denom
        half = z * np.sqrt(p * (1 - p) / nn + z**2 / (4 * nn**2)) / denom
    return np.clip(center - half, 0.0, 1.0), np.clip(center + half, 0.0, 1.0)


def clopper_pearson_interval(
    k: ArrayLike, n: ArrayLike, *, confidence_level: float = 0.95
) -> tuple[FloatArray, FloatArray]:
    """Clopper-Pearson ("exact") interval from beta quantiles.

    References
    ----------
    Clopper, C. J., & Pearson, E. S. (1934). The use of confidence or fiducial limits illustrated
    in the case of the binomial. Biometrika 26(4), 404-413. doi:10.1093/biomet/26.4.404

    Examples
    --------
    >>> lo, hi = clopper_pearson_interval(0, 10)
    >>> float(lo), round(float(hi), 4)
    (0.0, 0.3085)
    """
    cl = check_confidence_level(confidence_level)
    kk, nn = _prepare(k, n)
    a = (1.0 - cl) / 2.0
    with np.errstate(divide="ignore", invalid="ignore"):
        lo = np.where(kk > 0, special.betaincinv(kk, nn - kk + 1, a), 0.0)
        hi = np.where(kk < nn, special.betaincinv(kk + 1, nn - kk, 1 - a), 1.0)
    bad = nn <= 0
    return np.where(bad, np.nan, lo), np.where(bad, np.nan, hi)


def jeffreys_interval(
    k: ArrayLike, n: ArrayLike, *, confidence_level: float = 0.95
) -> tuple[FloatArray, FloatArray]:
    """Jeffreys interval: equal-tailed Beta(k + 1/2, n - k + 1/2) quantiles.

    Notes
    -----
    Following Brown, Cai & DasGupta (2001), the lower bound is 0 when ``k == 0`` and the upper
    bound is 1 when ``k == n``.

    References
    ----------
    Brown, L. D., Cai, T. T., & DasGupta, A. (2001). Interval estimation for a binomial
    proportion. Statistical Science 16(2), 101-133. doi:10.1214/ss/1009213286

    Examples
    --------
    >>> lo, hi = jeffreys_interval(5, 10)
    >>> round(float(lo), 4), round(float(hi), 4)
    (0.2235, 0.7765)
    """
    cl = check_confidence_level(confidence_level)
    kk, nn = _prepare(k, n)
    a = (1.0 - cl) / 2.0
    with np.errstate(divide="ignore", invalid="ignore"):
        lo = np.where(kk > 0, special.betaincinv(kk + 0.5, nn - kk + 0.5, a), 0.0)
        hi = np.where(kk < nn, special.betaincinv(kk + 0.5, nn - kk + 0.5, 1 - a), 1.0)
    bad = nn <= 0
    return np.where(bad, np.nan, lo), np.where(bad, np.nan, hi)


def proportion_interval(
    k: ArrayLike,
    n: ArrayLike,
    *,
    confidence_level: float = 0.95,
    method: ProportionMethod = "wilson",
) -> tuple[FloatArray, FloatArray]:
    """Interval for ``k`` successes out of ``n`` by the named method (vectorised).

    Parameters
    ----------
    k, n : array_like
        Successes and trials, broadcast together.
    confidence_level : float, default 0.95
    method : {'wilson', 'clopper-pearson', 'jeffreys'}

    Returns
    -------
    low, high : ndarray
        Bounds in [0, 1]; ``nan`` where ``n == 0``.

    Examples
    --------
    >>> lo, hi = proportion_interval([3, 8], [10, 10], method="clopper-pearson")
    >>> [round(float(x), 3) for x in lo]
    [0.067, 0.444]
    """
    check_choice("method", method, PROPORTION_METHODS)
    fn = {
        "wilson": wilson_interval,
        "clopper-pearson": clopper_pearson_interval,
        "jeffreys": jeffreys_interval,
    }[method]
    return fn(k, n, confidence_level=confidence_level)
