"""Prediction-powered inference for a mean (PPI++ with power tuning).

A few human labels ``y`` with the judge's predictions on them (``yhat_labeled``) debias the
judge's mean over many unlabeled cases (``yhat_unlabeled``). PPI++ scales the judge by a tuned
``lam`` so the interval is never wider (asymptotically) than the human-only one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from evalkit.stats._common import (
    ConfidenceInterval,
    Estimate,
    check_confidence_level,
    normal_interval,
    warn_undefined,
)
from evalkit.stats._warnings import StatisticsInputError

FloatArray = NDArray[np.float64]


@dataclass(frozen=True, slots=True, kw_only=True)
class PPIResult(Estimate):
    """Prediction-powered estimate of a mean.

    Attributes
    ----------
    statistic, confidence_interval, standard_error, confidence_level, method, name
        As in :class:`~evalkit.stats.Estimate`.
    lam : float
        Power-tuning parameter used (1 is plain PPI, 0 the human-only mean).
    n_labeled, n_unlabeled : int
    classical : Estimate
        The human-only mean with its CLT interval, for comparison.
    effective_labels : float
        Human labels the human-only interval would need to be as narrow as this one.
    """

    lam: float = 1.0
    n_labeled: int = 0
    n_unlabeled: int = 0
    classical: Estimate | None = None
    effective_labels: float = math.nan


def _vector(x: Any, name: str) -> FloatArray:
    a = np.asarray(x, dtype=np.float64)
    if a.ndim != 1:
        raise StatisticsInputError(f"`{name}` must be 1-D; got shape {a.shape}.")
    if a.size == 0:
        raise StatisticsInputError(f"`{name}` is empty.")
    if not np.all(np.isfinite(a)):
        raise StatisticsInputError(
            f"`{name}` has {int((~np.isfinite(a)).sum())} missing or infinite values."
        )
    return a


def ppi_mean(
    y_labeled: Any,
    yhat_labeled: Any,
    yhat_unlabeled: Any,
    *,
    confidence_level: float = 0.95,
    lam: float | None = None,
    bounds: tuple[float, float] | Literal["auto"] | None = "auto",
) -> PPIResult:
    r"""PPI++ estimate and interval for the mean of ``y`` using judge predictions.

    Parameters
    ----------
    y_labeled : array_like, shape (n,)
        Human labels (e.g. 1 = pass, 0 = fail) on the labeled cases.
    yhat_labeled : array_like, shape (n,)
        The judge's predictions on the same cases.
    yhat_unlabeled : array_like, shape (N,)
        The judge's predictions on the unlabeled cases.
    confidence_level : float, default 0.95
        Note ppi-python's default is 0.90 (``alpha=0.1``).
    lam : float, optional
        Power-tuning parameter; ``None`` estimates the variance-optimal value, clipped to
        [0, 1]. ``lam=1`` is plain PPI, ``lam=0`` the human-only mean.
    bounds : (low, high), 'auto' or None, default 'auto'
        Clip the interval to these bounds; ``'auto'`` clips to [0, 1] when ``y_labeled`` is
        binary (a pass rate), ``None`` never clips.

    Returns
    -------
    PPIResult
        ``statistic``, ``confidence_interval``, ``standard_error``, ``lam``, ``classical`` and
        ``effective_labels``.

    Notes
    -----
    .. math::

        \hat\theta = \frac{1}{n}\sum_i (y_i - \lambda \hat y_i)
                     + \frac{\lambda}{N}\sum_j \hat y_j, \qquad
        \hat\lambda = \frac{\widehat{\mathrm{Cov}}(y, \hat y)}
                            {(1 + n/N)\,\widehat{\mathrm{Var}}(\hat y)}

    with variance :math:`\lambda^2 \mathrm{Var}(\hat y^u)/N + \mathrm{Var}(y - \lambda\hat
    y)/n` (plug-in, ``ddof=0``) and a normal interval, as in ppi-python's ``ppi_mean_ci``. When
    the predictions are constant the optimal ``lam`` is undefined and 0 is used.

    References
    ----------
    Angelopoulos, A. N., Duchi, J. C., & Zrnic, T. (2023). PPI++: Efficient prediction-powered
    inference. arXiv:2311.01453.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> y = rng.binomial(1, 0.6, 200)
    >>> yhat = np.where(rng.random(200) < 0.9, y, 1 - y)
    >>> yhat_u = rng.binomial(1, 0.58, 20_000)
    >>> res = ppi_mean(y, yhat, yhat_u)
    >>> bool(res.confidence_interval.high - res.confidence_interval.low
    ...      < res.classical.confidence_interval.high - res.classical.confidence_interval.low)
    True
    """
    cl = check_confidence_level(confidence_level)
    y = _vector(y_labeled, "y_labeled")
    yh = _vector(yhat_labeled, "yhat_labeled")
    yu = _vector(yhat_unlabeled, "yhat_unlabeled")
    if y.size != yh.size:
        raise StatisticsInputError(
            f"`y_labeled` and `yhat_labeled` must have the same length; got {y.size} and {yh.size}."
        )
    n, big_n = y.size, yu.size
    mu_u = float(yu.mean())
    var_u = float(np.mean((yu - mu_u) ** 2))
    mu_y, mu_h = float(y.mean()), float(yh.mean())
    if lam is None:
        cov = float(np.mean((y - mu_y) * (yh - mu_h)))
        # sample variance (ddof=1) of all predictions pooled, from the two groups' moments
        tot = n + big_n
        mu_all = (n * mu_h + big_n * mu_u) / tot
        ss = float(np.sum((yh - mu_h) ** 2)) + big_n * var_u
        ss += n * (mu_h - mu_all) ** 2 + big_n * (mu_u - mu_all) ** 2
        var_all = ss / (tot - 1)
        if var_all > 0:
            lam_used = float(np.clip(cov / ((1 + n / big_n) * var_all), 0.0, 1.0))
        else:
            lam_used = 0.0
    else:
        lam_used = float(lam)
    rect = y - lam_used * yh
    estimate = float(lam_used * mu_u + rect.mean())
    var = lam_used**2 * var_u / big_n + float(np.var(rect)) / n
    se = math.sqrt(var)
    lo, hi = normal_interval(estimate, se, cl)
    var_y = float(np.var(y))
    se_c = math.sqrt(var_y / n)
    clo, chi = normal_interval(mu_y, se_c, cl)
    bnd = ((0.0, 1.0) if np.all((y == 0) | (y == 1)) else None) if bounds == "auto" else bounds
    if bnd is not None:
        lo, hi = max(bnd[0], lo), min(bnd[1], hi)
        clo, chi = max(bnd[0], clo), min(bnd[1], chi)
    if var > 0:
        eff = var_y / var
    else:
        eff = math.nan
        if var_y > 0:
            warn_undefined("the PPI variance is zero; effective labels are undefined.")
    classical = Estimate(statistic=mu_y, confidence_interval=ConfidenceInterval(clo, chi),
                         standard_error=se_c, confidence_level=cl, method="clt",
                         name="human-only mean")
    return PPIResult(
        statistic=estimate, confidence_interval=ConfidenceInterval(lo, hi), standard_error=se,
        confidence_level=cl, method="ppi++" if lam is None else f"ppi (lam={lam_used:g})",
        name="PPI mean", lam=lam_used, n_labeled=n, n_unlabeled=big_n, classical=classical,
        effective_labels=eff,
    )
