r"""Intervals for failure rates: Wilson for simple samples, design-weighted for weighted samples.

The unweighted interval is :func:`evalkit.stats._proportions.wilson_interval` (public as
``evalkit.stats.wilson_interval``). For a sample drawn with unequal probabilities (the
``sample_weight`` column that :func:`evalkit.sample` writes, :math:`w_i = 1/\pi_i`) the rate is
the Hajek (ratio) form of the Horvitz-Thompson estimator and its interval is a Wilson interval on
the *effective* sample size (Korn & Graubard 1998), with the variance from Taylor linearisation.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from evalkit.stats._common import check_confidence_level, z_value
from evalkit.stats._proportions import wilson_interval

FloatArray = NDArray[np.float64]

__all__ = ["weighted_proportion_interval", "weighted_rate_sums", "wilson_interval"]


def weighted_rate_sums(
    sw: ArrayLike,
    swy: ArrayLike,
    sw2: ArrayLike,
    sw2y: ArrayLike,
    n: ArrayLike,
    *,
    confidence_level: float = 0.95,
) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    r"""Weighted rate, standard error, interval and effective n from per-group weight sums.

    Parameters
    ----------
    sw, swy, sw2, sw2y : array_like
        :math:`\sum w`, :math:`\sum w y`, :math:`\sum w^2`, :math:`\sum w^2 y` over the units of
        each group (``y`` is 0/1).
    n : array_like
        Number of units per group.
    confidence_level : float, default 0.95

    Returns
    -------
    rate, standard_error, low, high, n_eff : ndarray

    Notes
    -----
    With :math:`\hat p = \sum w y / \sum w`, the linearised (with-replacement) variance is

    .. math:: \hat V = \frac{n}{n-1} \sum_i \frac{w_i^2 (y_i - \hat p)^2}{(\sum w)^2}
              = \frac{n}{n-1} \frac{(1 - 2\hat p)\sum w^2 y + \hat p^2 \sum w^2}{(\sum w)^2}

    (the HC1 sandwich variance of a weighted mean). The effective sample size is
    :math:`n^* = \hat p(1-\hat p)/\hat V`, or Kish's :math:`(\sum w)^2/\sum w^2` when
    :math:`\hat p \in \{0, 1\}`, and the interval is Wilson's with :math:`k = \hat p n^*` out
    of :math:`n^*` (Korn & Graubard). Treating a stratified sample as one stratum
    overstates the variance a little, so the interval errs on the wide side.

    References
    ----------
    Korn, E. L., & Graubard, B. I. (1998). Confidence intervals for proportions with small
    expected number of positive counts estimated from survey data. Survey Methodology 24(2),
    193-201. The effective size is capped at ``n`` (design effect >= 1), as they recommend.
    Kish, L. (1965). Survey Sampling. Wiley.

    Examples
    --------
    >>> rate, se, lo, hi, n_eff = weighted_rate_sums(10.0, 2.0, 10.0, 2.0, 10)
    >>> float(rate), round(float(n_eff), 6)  # equal weights: n* = n - 1
    (0.2, 9.0)
    """
    cl = check_confidence_level(confidence_level)
    sw_, swy_, sw2_, sw2y_, n_ = (np.asarray(a, dtype=np.float64) for a in (sw, swy, sw2, sw2y, n))
    with np.errstate(divide="ignore", invalid="ignore"):
        p = swy_ / sw_
        var = n_ / (n_ - 1.0) * ((1.0 - 2.0 * p) * sw2y_ + p**2 * sw2_) / sw_**2
        var = np.maximum(var, 0.0)
        kish = sw_**2 / sw2_
        inner = (p > 0) & (p < 1) & (var > 0) & np.isfinite(var)
        n_eff = np.where(inner, p * (1 - p) / np.where(inner, var, 1.0), kish)
        # never claim more information than the sample holds (design effect at least 1)
        n_eff = np.where(n_ > 0, np.minimum(n_eff, n_), np.nan)
    lo, hi = _wilson_float(p * n_eff, n_eff, cl)
    return p, np.sqrt(var), lo, hi, n_eff


def _wilson_float(k: FloatArray, n: FloatArray, cl: float) -> tuple[FloatArray, FloatArray]:
    z = z_value(cl)
    with np.errstate(divide="ignore", invalid="ignore"):
        p = np.clip(k / n, 0.0, 1.0)
        denom = 1.0 + z**2 / n
        center = (p + z**2 / (2 * n)) / denom
        half = z * np.sqrt(p * (1 - p) / n + z**2 / (4 * n**2)) / denom
    # exact ends where the rate is 0 or 1 (rounding would leave 1e-17)
    lo = np.where(p <= 0, 0.0, np.clip(center - half, 0.0, 1.0))
    hi = np.where(p >= 1, 1.0, np.clip(center + half, 0.0, 1.0))
    lo, hi = np.where(n > 0, lo, np.nan), np.where(n > 0, hi, np.nan)
    return lo, hi


def weighted_proportion_interval(
    y: ArrayLike, weights: ArrayLike, *, confidence_level: float = 0.95
) -> tuple[float, float, float, float]:
    r"""Design-weighted proportion of ``y`` with a Korn-Graubard Wilson interval.

    Parameters
    ----------
    y : array_like of bool or 0/1
        The outcome per sampled unit.
    weights : array_like of float
        Sampling weights :math:`w_i = 1/\pi_i` (positive).
    confidence_level : float, default 0.95

    Returns
    -------
    rate, standard_error, low, high : float

    Raises
    ------
    ValueError
        ``y`` and ``weights`` differ in length, or a weight is not positive and finite.

    Examples
    --------
    >>> rate, se, lo, hi = weighted_proportion_interval([1, 0, 0, 1], [1.0, 1.0, 3.0, 3.0])
    >>> rate
    0.5
    """
    yy = np.asarray(y, dtype=np.float64)
    ww = np.asarray(weights, dtype=np.float64)
    if yy.shape != ww.shape or yy.ndim != 1:
        raise ValueError(
            f"`y` and `weights` must be 1-d and of one length; got {yy.shape} and {ww.shape}."
        )
    if not np.all(np.isfinite(ww) & (ww > 0)):
        raise ValueError("`weights` must be positive and finite for every unit.")
    if not np.all((yy == 0) | (yy == 1)):
        raise ValueError("`y` must be 0/1 (or bool) for every unit.")
    if ww.size:  # scale-free; this keeps ww**2 from under- or overflowing
        ww = ww / ww.max()
    p, se, lo, hi, _ = weighted_rate_sums(
        ww.sum(), (ww * yy).sum(), (ww**2).sum(), (ww**2 * yy).sum(), len(yy),
        confidence_level=confidence_level,
    )  # fmt: skip
    return float(p), float(se), float(lo), float(hi)
