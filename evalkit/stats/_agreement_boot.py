"""Unit bootstrap for agreement coefficients, on per-unit sufficient statistics.

`bootstrap_result` is the tail every coefficient shares: bootstrap, then build the result.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray

from evalkit.stats._agreement_result import AgreementResult, _finish
from evalkit.stats._common import (
    BOOTSTRAP_METHODS,
    BootstrapMethod,
    BootstrapResult,
    CompressedUnits,
    RNGLike,
    bootstrap_interval,
    check_choice,
)


def unit_bootstrap(
    statistic: Callable[[NDArray[np.float64]], NDArray[np.float64]],
    rows: NDArray[np.float64],
    freq: NDArray[np.int64],
    *,
    n_resamples: int,
    confidence_level: float,
    method: BootstrapMethod,
    rng: RNGLike,
) -> BootstrapResult:
    """Bootstrap ``statistic`` (a vectorised function of summed rows) by resampling units.

    Parameters
    ----------
    statistic : callable
        Maps summed rows of shape ``(m, d)`` to ``(m,)`` values.
    rows : ndarray, shape (k, d)
        Per-unit sufficient statistics of the ``k`` distinct units.
    freq : ndarray, shape (k,)
        How many units share each row.
    """
    # validated here so the message names the agreement functions' option
    check_choice("bootstrap_method", method, BOOTSTRAP_METHODS)
    units = CompressedUnits(rows=rows, counts=freq)
    return bootstrap_interval(
        statistic, units, n_resamples=n_resamples, confidence_level=confidence_level,
        method=method, rng=rng,
    )


def bootstrap_result(
    statistic: Callable[[NDArray[np.float64]], NDArray[np.float64]],
    rows: NDArray[np.float64],
    freq: NDArray[np.int64],
    theta: float,
    *,
    n_resamples: int,
    confidence_level: float,
    bootstrap_method: BootstrapMethod,
    rng: RNGLike,
    common: dict[str, Any],
) -> AgreementResult:
    """Unit-bootstrap interval around ``theta`` and the finished :class:`AgreementResult`.

    ``common`` holds the result's other fields (coefficient, name, confidence level, counts,
    categories, pa, pe and any bounds), as the coefficient functions build them.
    """
    boot = unit_bootstrap(
        statistic, rows, freq, n_resamples=n_resamples, confidence_level=confidence_level,
        method=bootstrap_method, rng=rng,
    )
    return _finish(
        statistic=theta, interval=boot.confidence_interval, se=boot.standard_error,
        method=f"bootstrap-{bootstrap_method}", **common,
    )
