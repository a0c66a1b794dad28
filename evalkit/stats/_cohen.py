"""Cohen's kappa between two raters, optionally weighted, with three kinds of interval.

Re-exported from :mod:`evalkit.stats.agreement`.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Sequence
from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from evalkit.stats._agreement_boot import bootstrap_result
from evalkit.stats._agreement_result import (
    _NAN_CI,
    AgreementResult,
    Weights,
    _agreement_weights,
    _check_common,
    _check_weights,
    _finish,
)
from evalkit.stats._agreement_variance import cohen_linearized_variance, cohen_variance
from evalkit.stats._common import (
    BootstrapMethod,
    RNGLike,
    normal_interval,
    t_interval,
    warn_undefined,
)
from evalkit.stats._ratings import DistinctRows, pair_codes

CohenMethod = Literal["analytic", "fleiss-cohen-everitt", "bootstrap"]
COHEN_METHODS: tuple[str, ...] = ("analytic", "fleiss-cohen-everitt", "bootstrap")


def cohen_kappa(
    a: Any,
    b: Any,
    *,
    weights: Weights | None = None,
    labels: Sequence[Hashable] | None = None,
    confidence_level: float = 0.95,
    method: CohenMethod = "analytic",
    n_resamples: int = 2000,
    bootstrap_method: BootstrapMethod = "bca",
    rng: RNGLike = None,
) -> AgreementResult:
    r"""Cohen's kappa between two raters, optionally weighted, with a confidence interval.

    Parameters
    ----------
    a, b : array_like, shape (n_units,)
        The two raters' labels per unit; ``None``, ``NaN`` or ``""`` for missing.
    weights : {None, 'linear', 'quadratic'}, default None
        Disagreement weights ``|i - j|`` or ``(i - j)^2`` over category positions (as
        scikit-learn's ``cohen_kappa_score``).
    labels : sequence, optional
        The categories in order (this order defines the weights). Default: sorted labels seen.
        Required with ``weights`` when the labels are not numbers (an error says so: sorting
        ``low/medium/high`` would order them alphabetically).
    confidence_level : float, default 0.95
    method : {'analytic', 'fleiss-cohen-everitt', 'bootstrap'}, default 'analytic'
        ``'analytic'``: Gwet's linearization variance with a Student-t interval on ``n - 1``
        degrees of freedom, as for the other coefficients here (Gwet 2014, ch. 5).
        ``'fleiss-cohen-everitt'``: the Fleiss, Cohen & Everitt (1969) large-sample variance with
        a normal interval, the "ASE" that SAS PROC FREQ and statsmodels report.
        ``'bootstrap'``: resample units.
    n_resamples : int, default 2000
    bootstrap_method : {'bca', 'percentile', 'basic'}, default 'bca'
    rng : numpy.random.Generator, int or None

    Returns
    -------
    AgreementResult
        ``n_units`` counts the units both raters rated.

    Notes
    -----
    .. math:: \kappa_w = 1 - \frac{\sum_{ij} v_{ij} p_{ij}}{\sum_{ij} v_{ij} p_{i.} p_{.j}}

    with disagreement weights :math:`v`. Units missing either rating are left out (complete
    cases), as in Cohen (1960). Undefined when both raters use one and the same single label.

    In seeded simulations with about 45 complete pairs (50 units, 10% missing ratings), the
    linearization interval covers about 94% for a nominal 95%, the Fleiss-Cohen-Everitt one
    about 92-93%; both reach 95% from 200 units on. With a rare category (prevalence near 10%)
    and about 50 units both undercover (about 91%); use ``method="bootstrap"`` there.

    References
    ----------
    Cohen, J. (1960). A coefficient of agreement for nominal scales. *Educational and
    Psychological Measurement* 20, 37-46. https://doi.org/10.1177/001316446002000104

    Fleiss, J. L., Cohen, J. & Everitt, B. S. (1969). Large sample standard errors of kappa and
    weighted kappa. *Psychological Bulletin* 72(5), 323-327. https://doi.org/10.1037/h0028106

    Examples
    --------
    >>> res = cohen_kappa(["y", "y", "n", "n"], ["y", "n", "n", "n"])
    >>> res.statistic
    0.5
    """
    cl = _check_common(method, COHEN_METHODS, confidence_level, n_resamples, bootstrap_method)
    _check_weights(weights)
    ca, cb, cats, _ = pair_codes(
        a, b, labels=labels,
        order_for=f"Cohen's kappa with `weights={weights!r}`" if weights else None)
    q = cats.size
    agree_w = _agreement_weights(weights, cats, by_value=False)
    dis = 1.0 - agree_w
    _, first, inverse, freq = np.unique(
        ca * q + cb, return_index=True, return_inverse=True, return_counts=True
    )
    ua, ub = ca[first], cb[first]
    eye = np.eye(q)
    rows = np.column_stack([dis[ua, ub], eye[ua], eye[ub]])
    dc = DistinctRows(rows=rows, freq=freq.astype(np.int64), inverse=inverse.reshape(-1))

    def stat(s: NDArray[np.float64]) -> NDArray[np.float64]:
        ra, rb = s[:, 1 : 1 + q], s[:, 1 + q :]
        n = ra.sum(axis=1)
        expected = np.einsum("mi,ij,mj->m", ra, dis, rb) / n
        return 1.0 - s[:, 0] / expected

    total = np.asarray(dc.freq @ rows, dtype=np.float64)[None, :]
    table = np.bincount(ca * q + cb, minlength=q * q).reshape(q, q).astype(np.float64)
    n = ca.size
    po = float(np.sum(agree_w * table) / n)
    pe = float(table.sum(axis=1) @ agree_w @ table.sum(axis=0) / n**2)
    name = "Cohen's kappa" + (f" ({weights} weights)" if weights else "")
    common: dict[str, Any] = {
        "coefficient": "cohen_kappa", "name": name, "confidence_level": cl, "n_units": n,
        "n_raters": 2, "categories": cats, "pa": po, "pe": pe,
    }
    with np.errstate(all="ignore"):
        theta = float(stat(total)[0])
    if not math.isfinite(theta):
        warn_undefined(
            "Cohen's kappa is undefined: chance agreement is 1 (both raters use one label); "
            "returning nan.",
            stacklevel=3,
        )
        return _finish(statistic=math.nan, interval=_NAN_CI, se=math.nan, method=method, **common)
    if method == "analytic":
        se = math.sqrt(cohen_linearized_variance(table, agree_w))
        return _finish(
            statistic=theta, interval=t_interval(theta, se, n - 1, cl), se=se,
            method="gwet-linearization", **common,
        )
    if method == "fleiss-cohen-everitt":
        se = math.sqrt(cohen_variance(table, agree_w))
        return _finish(
            statistic=theta, interval=normal_interval(theta, se, cl), se=se,
            method="fleiss-cohen-everitt", **common,
        )
    return bootstrap_result(stat, rows, freq, theta, n_resamples=n_resamples,
                            confidence_level=cl, bootstrap_method=bootstrap_method, rng=rng,
                            common=common)
