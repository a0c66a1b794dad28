r"""Inter-rater agreement with confidence intervals: the human ceiling.

Every coefficient is computed from per-unit sufficient statistics (category counts per unit), so
the bootstrap resamples units as weights on those statistics instead of recomputing from raw data,
and memory stays ``O(units x categories)``.

================================  ==========================  ===============================
function                          chance agreement            default interval
================================  ==========================  ===============================
:func:`percent_agreement`         none                        Gwet linearization (t)
:func:`brennan_prediger`          uniform, ``1/q``            Gwet linearization (t)
:func:`fleiss_kappa`              pooled marginals            Gwet linearization (t)
:func:`gwet_ac1` (AC2 weighted)   Gwet's ``pi_k (1 - pi_k)``  Gwet linearization (t)
:func:`cohen_kappa`               each rater's marginals      Gwet linearization (t)
:func:`krippendorff_alpha`        pooled values               unit bootstrap (BCa)
================================  ==========================  ===============================

Every function also takes ``method="bootstrap"`` (units resampled, BCa by default),
:func:`krippendorff_alpha` takes ``method="analytic"`` (Gwet's linearization) and
:func:`cohen_kappa` ``method="fleiss-cohen-everitt"`` (normal). The table is checked against
the code:

>>> import re
>>> shown = dict(re.findall(r":func:`(\w+)`.*  (\S[^=]+?)\s*$", __doc__, flags=re.M))
>>> label = {"gwet-linearization": "Gwet linearization (t)",
...          "bootstrap-bca": "unit bootstrap (BCa)",
...          "fleiss-cohen-everitt": "Fleiss-Cohen-Everitt (normal)"}
>>> x = [[1, 1], [1, 2], [2, 2], [2, 2], [1, 1], [2, 1], [1, 1], [2, 2], [1, 1], [2, 2]]
>>> actual = {f.__name__: label[f(x).method] for f in COEFFICIENTS.values()}
>>> actual["cohen_kappa"] = label[cohen_kappa([r[0] for r in x], [r[1] for r in x]).method]
>>> shown == actual
True

Ratings are a units x raters table (``None``, ``NaN`` and ``""`` are missing), or a
:class:`CategoryCounts` table of units x categories counts. Ordinal and weighted statistics on
labels that are not numbers need the labels' order (``categories=``, ``labels=`` for Cohen).
Named warnings flag designs that cannot support an interval
(:class:`~evalkit.stats.DegenerateDataWarning`: no disagreement at all, fewer than 10 units) and
labels coded two ways (:class:`~evalkit.stats.LabelCodingWarning`: ``1`` and ``"1"``).

The coefficients live in private modules (:mod:`~evalkit.stats._gwet_family`,
:mod:`~evalkit.stats._cohen`, :mod:`~evalkit.stats._krippendorff`) and the reports in
:mod:`~evalkit.stats._agreement_report`; this module is where users import them from.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable

import pandas as pd

from evalkit.stats._agreement_report import (
    AgreementReport,
    PairwiseAgreement,
    agreement_report,
    pairwise_agreement,
)
from evalkit.stats._agreement_result import AgreementResult
from evalkit.stats._agreement_result import IntervalMethod as IntervalMethod
from evalkit.stats._agreement_result import Weights as Weights
from evalkit.stats._cohen import CohenMethod as CohenMethod
from evalkit.stats._cohen import cohen_kappa
from evalkit.stats._gwet_family import brennan_prediger, fleiss_kappa, gwet_ac1, percent_agreement
from evalkit.stats._krippendorff import DistanceMetric, krippendorff_alpha
from evalkit.stats._krippendorff import Level as Level
from evalkit.stats._ratings import CategoryCounts, to_wide_frame

__all__ = [
    "AgreementReport",
    "AgreementResult",
    "CategoryCounts",
    "DistanceMetric",
    "PairwiseAgreement",
    "agreement_report",
    "brennan_prediger",
    "cohen_kappa",
    "fleiss_kappa",
    "gwet_ac1",
    "krippendorff_alpha",
    "pairwise_agreement",
    "percent_agreement",
    "to_wide",
]


def to_wide(
    df: pd.DataFrame,
    *,
    unit: Hashable = "unit",
    rater: Hashable = "rater",
    value: Hashable = "value",
) -> pd.DataFrame:
    """Long ratings (one row per unit and rater) to a units x raters table.

    Parameters
    ----------
    df : DataFrame
        Long ratings.
    unit, rater, value : column names
        Which columns hold the unit id, the rater id and the rating.

    Returns
    -------
    DataFrame
        Index: units; columns: raters; ``NaN`` where a rater did not rate a unit.

    Raises
    ------
    ValueError
        If a column is missing or a (unit, rater) pair repeats (the message shows the first).

    Examples
    --------
    >>> long = pd.DataFrame({"unit": [1, 1, 2], "rater": ["a", "b", "a"], "value": ["x", "y", "x"]})
    >>> to_wide(long)
    rater  a    b
    unit
    1      x    y
    2      x  NaN
    """
    return to_wide_frame(df, unit=unit, rater=rater, value=value)


COEFFICIENTS: dict[str, Callable[..., AgreementResult]] = {
    "percent_agreement": percent_agreement,
    "brennan_prediger": brennan_prediger,
    "fleiss_kappa": fleiss_kappa,
    "gwet_ac1": gwet_ac1,
    "krippendorff_alpha": krippendorff_alpha,
}
"""Coefficients of a units x raters table, by name (``cohen_kappa`` takes two raters)."""
