"""Rogan-Gladen corrected pass rate: point estimate, Lee et al. (2025) interval, bootstrap.

Notation follows Lee et al. (2025): ``p`` is the judge's pass rate on the unlabeled set of size
``n``; ``q0`` (TNR, specificity) and ``q1`` (TPR, sensitivity) are estimated on ``m0`` human-fail
and ``m1`` human-pass calibration cases. All functions are vectorised over numpy arrays so a
coverage simulation of thousands of replications is a handful of array operations.

References
----------
Rogan, W. J., & Gladen, B. (1978). Estimating prevalence from the results of a screening test.
American Journal of Epidemiology 107(1), 71-76. doi:10.1093/oxfordjournals.aje.a112510

Lee, C., Zeng, T., Jeong, J., Sohn, J., & Lee, K. (2025). How to Correctly Report
LLM-as-a-Judge Evaluations. arXiv:2511.21140.
Code: github.com/UW-Madison-Lee-Lab/LLM-judge-reporting
"""

from __future__ import annotations

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray

from evalkit.stats._common import (
    BootstrapMethod,
    BootstrapResult,
    CompressedUnits,
    ConfidenceInterval,
    RNGLike,
    z_value,
)
from evalkit.stats._warnings import StatisticsInputError

FloatArray = NDArray[np.float64]


def rogan_gladen(
    p: ArrayLike, tpr: ArrayLike, tnr: ArrayLike, *, clip: bool = True
) -> FloatArray:
    """Corrected pass rate ``(p + TNR - 1) / (TPR + TNR - 1)``, clipped to [0, 1] by default.

    Returns ``nan`` where ``TPR + TNR <= 1`` (the judge is no better than chance and the
    correction is undefined). ``clip=False`` returns the raw estimate, which lies outside
    [0, 1] when the judge's pass rate is below ``1 - TNR`` or above ``TPR``.

    Examples
    --------
    >>> float(rogan_gladen(0.4, 0.9, 0.7))  # Lee et al. README: p=0.4, q1=0.9, q0=0.7
    0.1666666666666668
    """
    pp, q1, q0 = (np.asarray(x, dtype=np.float64) for x in (p, tpr, tnr))
    denom = q1 + q0 - 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        theta = np.where(denom > 0, (pp + q0 - 1.0) / denom, np.nan)
    return np.clip(theta, 0.0, 1.0) if clip else theta


def lee_interval(
    p: ArrayLike,
    tpr: ArrayLike,
    tnr: ArrayLike,
    n: ArrayLike,
    m1: ArrayLike,
    m0: ArrayLike,
    *,
    confidence_level: float = 0.95,
    clip: bool = True,
) -> tuple[FloatArray, FloatArray, FloatArray]:
    r"""Lee et al. (2025) adjusted interval for the corrected pass rate (vectorised).

    Parameters
    ----------
    p, tpr, tnr : array_like
        Judge pass rate on the ``n`` unlabeled cases; TPR on ``m1`` human-pass cases; TNR on
        ``m0`` human-fail cases.
    n, m1, m0 : array_like
        Sample sizes. ``m1 == 0`` or ``m0 == 0`` (a class missing from the calibration set,
        so TPR or TNR is ``nan``) is allowed: the add-2 smoothing then puts that rate at 1/2
        with an effective size of 2, a wide but defined interval.
    confidence_level : float
    clip : bool, default True
        Clip the bounds to [0, 1] (``False``: the raw bounds, for reporting).

    Returns
    -------
    low, high, se : ndarray
        Bounds clipped to [0, 1] and the standard error of the adjusted estimate.

    Notes
    -----
    Add-``z^2`` smoothing of ``p`` and add-2 (Laplace) smoothing of ``q0, q1``, then a
    delta-method interval around a bias-shifted centre:

    .. math::

        \tilde p = \frac{np + z^2/2}{n + z^2},\quad
        \tilde q_j = \frac{m_j q_j + 1}{m_j + 2},\quad
        \tilde\theta = \frac{\tilde p + \tilde q_0 - 1}{\tilde q_0 + \tilde q_1 - 1}

        d\theta = 2 z^2 \left(-\frac{(1-\tilde\theta)\tilde q_0(1-\tilde q_0)}{\tilde m_0}
        + \frac{\tilde\theta \tilde q_1(1-\tilde q_1)}{\tilde m_1}\right)

        se = \frac{\sqrt{\tilde p(1-\tilde p)/\tilde n
        + (1-\tilde\theta)^2 \tilde q_0(1-\tilde q_0)/\tilde m_0
        + \tilde\theta^2 \tilde q_1(1-\tilde q_1)/\tilde m_1}}{\tilde q_0 + \tilde q_1 - 1}

    with :math:`\tilde n = n + z^2, \tilde m_j = m_j + 2`; the interval is
    :math:`\tilde\theta + d\theta \pm z\,se`, clipped to [0, 1]. Undefined
    (``nan``) where the smoothed ``q0 + q1 <= 1``.

    Examples
    --------
    >>> lo, hi, se = lee_interval(0.4, 0.9, 0.7, 1000, 200, 200)
    >>> round(float(lo), 6), round(float(hi), 6)
    (0.056351, 0.262733)
    """
    z = z_value(confidence_level)
    pp, q1, q0, nn, mm1, mm0 = (
        np.asarray(x, dtype=np.float64) for x in (p, tpr, tnr, n, m1, m0)
    )
    z2 = z * z
    pt = (nn * pp + z2 / 2.0) / (nn + z2)
    # counts, not rates: an empty class has rate nan but 0 successes
    q0t = (np.where(mm0 > 0, mm0 * q0, 0.0) + 1.0) / (mm0 + 2.0)
    q1t = (np.where(mm1 > 0, mm1 * q1, 0.0) + 1.0) / (mm1 + 2.0)
    nt, m0t, m1t = nn + z2, mm0 + 2.0, mm1 + 2.0
    denom = q0t + q1t - 1.0
    with np.errstate(divide="ignore", invalid="ignore"):
        ok = denom > 0
        th = np.where(ok, (pt + q0t - 1.0) / denom, np.nan)
        dth = 2.0 * z2 * (-(1 - th) * q0t * (1 - q0t) / m0t + th * q1t * (1 - q1t) / m1t)
        var = pt * (1 - pt) / nt + (1 - th) ** 2 * q0t * (1 - q0t) / m0t
        var = var + th**2 * q1t * (1 - q1t) / m1t
        se = np.where(ok, np.sqrt(var) / denom, np.nan)
    lo, hi = th + dth - z * se, th + dth + z * se
    if clip:
        lo, hi = np.clip(lo, 0.0, 1.0), np.clip(hi, 0.0, 1.0)
    return lo, hi, se


def lee_allocation(
    m: int, p: float, q0: float, q1: float, *, m_pilot: int = 0, eps: float = 1e-6
) -> tuple[int, int]:
    r"""Split a calibration budget ``m`` into ``(m0, m1)`` human-fail / human-pass cases.

    This is the adaptive allocation of Lee et al. (2025), with ``kappa`` the ratio of the
    judge's (pilot-smoothed) error rates on the two classes:

    .. math:: m_1 = \frac{m}{1 + (1/p - 1)\sqrt{\kappa}},\qquad
              \kappa = \frac{m_{pilot}(1-q_0) + 1}{m_{pilot}(1-q_1) + 1}

    (with ``kappa = (1-q0)/(1-min(q1, 1-eps))`` when there is no pilot), rounded half to even
    and kept within ``[m_pilot, m - m_pilot]``. When ``p < eps`` every case goes to ``m1``.

    Examples
    --------
    >>> lee_allocation(200, 0.4, 0.7, 0.9, m_pilot=10)  # README example of Lee et al.
    (136, 64)
    """
    if p < eps:
        m1 = m - m_pilot
    else:
        if m_pilot == 0:
            kappa = (1 - q0) / (1 - min(q1, 1 - eps))
        else:
            kappa = (m_pilot * (1 - q0) + 1) / (m_pilot * (1 - q1) + 1)
        m1_raw = m / (1 + (1 / p - 1) * math.sqrt(kappa))
        m1 = max(m_pilot, round(min(m - m_pilot, m1_raw)))
    return int(m - m1), int(m1)


def count_units(counts: ArrayLike) -> CompressedUnits:
    """Compressed one-hot units for categorical counts (e.g. tp, fn, fp, tn), for the bootstrap.

    Each unit falls in exactly one category, so resampling units is a multinomial draw over the
    categories; zero-count categories are dropped.

    Examples
    --------
    >>> count_units([3, 0, 2]).n_units
    5
    """
    c = np.asarray(counts, dtype=np.int64)
    keep = c > 0
    return CompressedUnits(rows=np.eye(c.size)[keep], counts=c[keep])


def bootstrap_corrected(
    tp: int,
    fn: int,
    fp: int,
    tn: int,
    n_pass: int,
    n: int,
    *,
    n_resamples: int = 20_000,
    confidence_level: float = 0.95,
    method: BootstrapMethod = "percentile",
    prior: float = 0.5,
    rng: RNGLike = None,
) -> BootstrapResult:
    r"""Parametric (Beta-posterior) bootstrap of the corrected pass rate.

    Each resample draws the judge's TPR, TNR and pass rate from their Beta posteriors under a
    ``Beta(prior, prior)`` prior (Jeffreys by default) and applies Rogan-Gladen (clipped):

    .. math:: TPR^* \sim B(tp + a, fn + a),\ TNR^* \sim B(tn + a, fp + a),\
              p^* \sim B(k + a, n - k + a),\
              \theta^* = \mathrm{clip}\left(\frac{p^* + TNR^* - 1}{TPR^* + TNR^* - 1}\right)

    Unlike resampling the calibration cases, this keeps the calibration uncertainty when a
    confusion cell is empty: with ``fn = 0`` a case bootstrap gives TPR = 1 in every resample
    and the interval ignores that TPR was measured on a few cases (54-68% coverage with 30
    calibration labels); the posterior of TPR still has width. Draws where
    ``TPR* + TNR* <= 1`` (worse than chance) are undefined and left out (rejection sampling
    of the posterior restricted to a judge better than chance, the model's assumption).

    Parameters
    ----------
    tp, fn, fp, tn : int
        Calibration cells (human x judge).
    n_pass, n : int
        Judge passes and verdicts on the unlabeled set.
    method : {'percentile', 'basic'}
    prior : float, default 0.5
        The Beta prior's two shape parameters (0.5 is Jeffreys, 1 uniform).

    References
    ----------
    Gelman, A., & Carpenter, B. (2020). Bayesian analysis of tests with unknown specificity and
    sensitivity. JRSS C 69(5), 1269-1283. doi:10.1111/rssc.12435

    Examples
    --------
    >>> res = bootstrap_corrected(28, 0, 0, 2, 27, 30, rng=1)  # zero off-diagonal cells
    >>> bool(res.confidence_interval.high - res.confidence_interval.low > 0.1)
    True
    """
    if method not in ("percentile", "basic"):
        raise StatisticsInputError(
            "`bootstrap_method` must be one of 'percentile', 'basic' for the "
            f"corrected pass rate; got {method!r}."
        )
    dist = posterior_draws(tp, fn, fp, tn, n_pass, n, size=int(n_resamples), prior=prior,
                           rng=rng)  # kept raw; clipping is monotone
    with np.errstate(invalid="ignore", divide="ignore"):
        c = np.array([n_pass, tp, tn], dtype=np.float64) / np.array([n, tp + fn, tn + fp])
        th = float(rogan_gladen(c[0], c[1], c[2], clip=False))
    lo, hi, se = draws_interval(dist, th, confidence_level=confidence_level, method=method)
    return BootstrapResult(confidence_interval=ConfidenceInterval(lo, hi), standard_error=se,
                           distribution=dist, method=method)


def posterior_draws(
    tp: ArrayLike, fn: ArrayLike, fp: ArrayLike, tn: ArrayLike, n_pass: ArrayLike, n: ArrayLike,
    *, size: int, prior: float = 0.5, rng: RNGLike = None,
) -> FloatArray:
    """Raw (unclipped) Rogan-Gladen draws from the Beta posteriors, shape ``(*batch, size)``.

    The count arguments broadcast together (a coverage simulation passes one row per
    replication); ``nan`` marks draws where ``TPR* + TNR* <= 1``.
    """
    gen = np.random.default_rng(rng)
    cnt = np.broadcast_arrays(*(np.asarray(x, dtype=np.float64) for x in
                                (tp, fn, fp, tn, n_pass, n)))
    shape = (*cnt[0].shape, int(size))
    col = [x[..., None] for x in cnt]
    q1 = gen.beta(col[0] + prior, col[1] + prior, shape)
    q0 = gen.beta(col[3] + prior, col[2] + prior, shape)
    p = gen.beta(col[4] + prior, col[5] - col[4] + prior, shape)
    return rogan_gladen(p, q1, q0, clip=False)


def draws_interval(
    dist: FloatArray, estimate: float, *, confidence_level: float, method: str,
    clip: bool = True,
) -> tuple[float, float, float]:
    """Percentile or basic interval and sd from raw Rogan-Gladen draws (``nan`` = undefined).

    With ``clip`` the draws and the bounds are clipped to [0, 1] (the same as clipping the
    bounds, clipping being monotone). Fewer than 1% (or 10) defined draws gives ``nan``.
    """
    finite = dist[np.isfinite(dist)]
    # Undefined draws (TPR* + TNR* <= 1) are rejected: the posterior is taken under the model's
    # assumption that the judge beats chance. Too few defined draws: undefined.
    if finite.size < max(10, dist.size // 100):
        return math.nan, math.nan, math.nan
    if clip:
        finite = np.clip(finite, 0.0, 1.0)
    alpha = 1.0 - confidence_level
    q_lo, q_hi = (float(x) for x in np.quantile(finite, [alpha / 2, 1 - alpha / 2]))
    if method == "basic":
        q_lo, q_hi = 2 * estimate - q_hi, 2 * estimate - q_lo
        if clip:
            q_lo, q_hi = min(1.0, max(0.0, q_lo)), min(1.0, max(0.0, q_hi))
    return q_lo, q_hi, float(np.std(finite, ddof=1))
