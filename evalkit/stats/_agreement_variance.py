"""Analytic (large-sample) variances of agreement coefficients.

* Gwet's linearization variance for percent agreement, Brennan-Prediger, Fleiss' generalized kappa
  and AC1/AC2 with missing ratings (Gwet 2008; Gwet 2014, *Handbook of Inter-Rater Reliability*,
  4th ed., ch. 5), with an optional finite-population correction ``1 - n/N``.
* Gwet's linearization variance of (weighted) Cohen's kappa on the complete pairs (Gwet 2014,
  ch. 5; irrCAC's Conger kappa with two raters), and the Fleiss, Cohen & Everitt (1969)
  large-sample variance.

All take per-unit category counts and agreement weights; nothing here loops over units in Python.
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from numpy.typing import NDArray

GwetKind = Literal["percent", "brennan_prediger", "fleiss", "gwet"]


def unit_agreement(
    counts: NDArray[np.float64], weights: NDArray[np.float64]
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.bool_]]:
    """Per-unit observed agreement ``pa_i``, rater counts ``r_i`` and the ``r_i >= 2`` mask.

    ``pa_i = sum_k n_ik (n*_ik - 1) / (r_i (r_i - 1))`` with ``n*_ik = sum_l w_kl n_il``
    (0 where the unit has fewer than two ratings).
    """
    r = counts.sum(axis=1)
    two = r >= 2
    num = np.einsum("uk,uk->u", counts, counts @ weights.T - 1.0)
    den = np.where(two, r * (r - 1.0), 1.0)
    return np.where(two, num / den, 0.0), r, two


def chance_agreement(
    kind: GwetKind, pi: NDArray[np.float64], weights: NDArray[np.float64]
) -> NDArray[np.float64]:
    """Chance agreement ``pe`` for each coefficient; ``pi`` has shape ``(m, q)`` (vectorised)."""
    q = weights.shape[0]
    tw = float(weights.sum())
    if kind == "percent":
        return np.zeros(pi.shape[0])
    if kind == "brennan_prediger":
        return np.full(pi.shape[0], tw / q**2)
    if kind == "fleiss":
        return np.einsum("mk,kl,ml->m", pi, weights, pi)
    if q < 2:
        return np.full(pi.shape[0], math.nan)
    return tw / (q * (q - 1)) * np.sum(pi * (1.0 - pi), axis=1)


def gwet_variance(
    kind: GwetKind,
    counts: NDArray[np.float64],
    weights: NDArray[np.float64],
    *,
    freq: NDArray[np.int64] | None = None,
    n_population: float = math.inf,
    linearization: Literal["ratio", "gwet"] = "ratio",
) -> float:
    r"""Linearization variance of a Gwet-family coefficient (Gwet 2014, ch. 5).

    ``linearization="gwet"`` is Gwet's (irrCAC's): with
    :math:`\kappa_i = \frac{n}{n_2}\frac{p_{a|i} - p_e 1[r_i \ge 2]}{1 - p_e}`,
    :math:`\kappa^*_i = \kappa_i - 2(1-\kappa)\frac{p_{e|i} - p_e}{1 - p_e}` and
    :math:`v = \frac{1 - f}{n(n-1)} \sum_i (\kappa^*_i - \kappa)^2`, ``f = n / N``.

    ``linearization="ratio"`` (the default) treats :math:`p_a` as the ratio estimator it is
    (an average over the :math:`n_2` pairable units only):

    .. math:: \kappa^*_i - \kappa = \frac{\frac{n}{n_2} 1[r_i \ge 2](p_{a|i} - p_a)
              - 2(1 - \kappa)(p_{e|i} - p_e)}{1 - p_e}

    The two agree exactly when every unit has two or more ratings. With single-rated units
    Gwet's also counts the chance of a unit being pairable, which overstates the variance
    (Fleiss, AC1 and BP covered 96.2-96.6% with 40% missing ratings); the ratio form keeps
    ``SE(BP) = SE(PA) / (1 - 1/q)`` exactly, BP being linear in ``pa``.
    Units with at least one rating count in ``n``. ``counts`` may hold distinct rows only, with
    ``freq`` giving how many units share each.
    """
    fr = np.ones(counts.shape[0]) if freq is None else freq.astype(np.float64)
    n = float(fr.sum())
    if n < 2:
        return math.nan
    pa_i, r, two = unit_agreement(counts, weights)
    n2 = float(fr[two].sum())
    if n2 == 0:
        return math.nan
    pa = float(fr @ (pa_i * two)) / n2
    p_unit = counts / r[:, None]
    pi = fr @ p_unit / n
    pe = float(chance_agreement(kind, pi[None, :], weights)[0])
    if not math.isfinite(pe) or pe >= 1.0:
        return math.nan
    coef = (pa - pe) / (1.0 - pe)
    k_i = (n / n2) * (pa_i - pe * two) / (1.0 - pe)
    q = weights.shape[0]
    if kind == "gwet":
        pe_i = float(weights.sum()) / (q * (q - 1)) * (p_unit @ (1.0 - pi))
    elif kind == "fleiss":
        pe_i = p_unit @ ((weights @ pi + weights.T @ pi) / 2.0)
    else:
        pe_i = np.full(counts.shape[0], pe)
    k_star = k_i - 2.0 * (1.0 - coef) * (pe_i - pe) / (1.0 - pe)
    if linearization == "ratio" and kind != "percent":
        dpa = (n / n2) * two * (pa_i - pa)
        k_star = coef + (dpa - 2.0 * (1.0 - coef) * (pe_i - pe)) / (1.0 - pe)
    if kind == "percent":
        # pa is a ratio over the pairable units: linearize it as one, (n/n2) 1[r_i>=2] (pa_i - pa).
        # Gwet's pa.coeff.raw uses (n/n2) pa_i 1[r_i>=2] - pa, which also counts the chance of a
        # unit being pairable and overstates the variance when some units have one rating
        # (96.5% coverage for a nominal 95% at 1,000 units with 10% missing ratings).
        k_star = (n / n2) * two * (pa_i - pa) + coef
        if linearization == "gwet":
            k_star = (n / n2) * two * pa_i
    f = n / n_population
    return float((1.0 - f) / (n * (n - 1.0)) * (fr @ (k_star - coef) ** 2))


def cohen_linearized_variance(table: NDArray[np.float64], weights: NDArray[np.float64]) -> float:
    r"""Gwet's linearization variance of (weighted) Cohen's kappa from a table of pair counts.

    Each pair ``(a_i, b_i)`` contributes :math:`\kappa_i = (w_{a_i b_i} - p_e)/(1 - p_e)` and
    :math:`p_{e|i} = \tfrac12[(W p_b)_{a_i} + (p_a W)_{b_i}]`; with
    :math:`\kappa^*_i = \kappa_i - 2(1-\kappa)(p_{e|i} - p_e)/(1 - p_e)` the variance is
    :math:`\sum_i (\kappa^*_i - \kappa)^2 / (n(n-1))` (Gwet 2014, ch. 5). Computed per table
    cell, weighted by its count.
    """
    n = float(table.sum())
    if n < 2:
        return math.nan
    p = table / n
    row, col = p.sum(axis=1), p.sum(axis=0)
    pe = float(row @ weights @ col)
    if pe >= 1.0:
        return math.nan
    kappa = (float(np.sum(weights * p)) - pe) / (1.0 - pe)
    pe_cell = ((weights @ col)[:, None] + (row @ weights)[None, :]) / 2.0
    k_star = (weights - pe) / (1.0 - pe) - 2.0 * (1.0 - kappa) * (pe_cell - pe) / (1.0 - pe)
    return float(np.sum(table * (k_star - kappa) ** 2) / (n * (n - 1.0)))


def cohen_variance(table: NDArray[np.float64], weights: NDArray[np.float64]) -> float:
    r"""Fleiss, Cohen & Everitt (1969) large-sample variance of weighted kappa.

    ``table`` holds counts (raters a x b); ``weights`` are agreement weights (1 on the diagonal).

    .. math::
        \operatorname{var}(\hat\kappa_w) = \frac{\sum_{ij} p_{ij}
        [w_{ij} - (\bar w_{i.} + \bar w_{.j})(1 - \hat\kappa_w)]^2
        - [\hat\kappa_w - p_e(1 - \hat\kappa_w)]^2}{n (1 - p_e)^2}
    """
    n = float(table.sum())
    p = table / n
    row, col = p.sum(axis=1), p.sum(axis=0)
    po = float(np.sum(weights * p))
    pe = float(row @ weights @ col)
    if pe >= 1.0:
        return math.nan
    kappa = (po - pe) / (1.0 - pe)
    w_row = weights @ col  # \bar w_{i.} = sum_j p_.j w_ij
    w_col = row @ weights  # \bar w_{.j} = sum_i p_i. w_ij
    term = weights - (w_row[:, None] + w_col[None, :]) * (1.0 - kappa)
    num = float(np.sum(p * term**2)) - (kappa - pe * (1.0 - kappa)) ** 2
    return max(num, 0.0) / (n * (1.0 - pe) ** 2)


def alpha_variance(
    counts: NDArray[np.float64],
    weights: NDArray[np.float64],
    *,
    freq: NDArray[np.int64] | None = None,
) -> float:
    r"""Gwet's linearization variance of Krippendorff's alpha (Gwet 2014, ch. 5; irrCAC).

    ``counts`` are the per-unit category counts of *pairable* units (two or more ratings),
    ``weights`` agreement weights ``1 - delta / max(delta)``. With :math:`\bar r` the mean number
    of ratings per unit,
    :math:`\alpha'_i = \frac{p_{a|i} - p_e}{1 - p_e}`,
    :math:`p_{a|i} = \frac{\sum_k n_{ik}(n^*_{ik} - 1)}{\bar r (r_i - 1)}
    - p_a \frac{r_i - \bar r}{\bar r}`,
    :math:`\alpha^*_i = \alpha'_i - 2(1 - \alpha')\frac{p_{e|i} - p_e}{1 - p_e}` and
    :math:`v = \frac{1}{n(n-1)} \sum_i (\alpha^*_i - \alpha')^2`, where :math:`\alpha'` is
    alpha without Krippendorff's small-sample factor.
    """
    fr = np.ones(counts.shape[0]) if freq is None else freq.astype(np.float64)
    n = float(fr.sum())
    if n < 2:
        return math.nan
    r = counts.sum(axis=1)
    r_mean = float(fr @ r) / n
    eps = 1.0 / float(fr @ r)
    sum_q = np.einsum("uk,uk->u", counts, counts @ weights.T - 1.0)
    pa_prime = float(fr @ (sum_q / (r_mean * (r - 1.0)))) / n
    pa = (1.0 - eps) * pa_prime + eps
    pi = fr @ counts / (n * r_mean)
    pe = float(pi @ weights @ pi)
    if pe >= 1.0:
        return math.nan
    alpha_prime = (pa_prime - pe) / (1.0 - pe)
    pa_i = sum_q / (r_mean * (r - 1.0)) - pa * (r - r_mean) / r_mean
    k_i = (pa_i - pe) / (1.0 - pe)
    pi_w = (weights @ pi + weights.T @ pi) / 2.0
    pe_i = counts @ pi_w / r_mean - pe * (r - r_mean) / r_mean
    k_star = k_i - 2.0 * (1.0 - alpha_prime) * (pe_i - pe) / (1.0 - pe)
    return float(fr @ (k_star - alpha_prime) ** 2) / (n * (n - 1.0))
