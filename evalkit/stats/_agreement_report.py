"""Agreement reports: every coefficient per label field and failure mode, and rater x rater pairs.

Public names are re-exported from :mod:`evalkit.stats.agreement`.
"""

from __future__ import annotations

import html
import itertools
import math
import warnings
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from evalkit.errors import UndefinedStatisticWarning
from evalkit.stats._common import RNGLike, as_rng, check_choice
from evalkit.stats._ratings import to_wide_frame
from evalkit.stats._warnings import DegenerateDataWarning, LabelCodingWarning, StatisticsInputError

if TYPE_CHECKING:  # pragma: no cover
    import plotly.graph_objects as go

REPORT_COLUMNS = [
    "field", "kind", "coefficient", "statistic", "ci_low", "ci_high", "se",
    "n_units", "n_raters", "majority_share", "method", "note",
]
DEFAULT_COEFFICIENTS = ("percent_agreement", "fleiss_kappa", "gwet_ac1", "krippendorff_alpha")
PAIRWISE_COEFFICIENTS = (
    "cohen_kappa", "percent_agreement", "brennan_prediger", "fleiss_kappa", "gwet_ac1",
    "krippendorff_alpha",
)


def _coefficients() -> dict[str, Any]:
    from evalkit.stats.agreement import COEFFICIENTS

    return COEFFICIENTS


# warnings that become a row's note instead of reaching the user one by one
_NOTED: tuple[type[Warning], ...] = (UndefinedStatisticWarning, DegenerateDataWarning,
                                     LabelCodingWarning)


def _run(
    name: str, wide: pd.DataFrame, kwargs: dict[str, Any]
) -> tuple[dict[str, Any], str]:
    """Run one coefficient; an undefined case becomes a row with nan and a note."""
    with warnings.catch_warnings(record=True) as caught:
        for cat in _NOTED:
            warnings.simplefilter("always", cat)
        res = _coefficients()[name](wide, **kwargs)
    notes = [str(w.message) for w in caught if issubclass(w.category, _NOTED)]
    return res.to_dict(), "; ".join(notes)


@dataclass(frozen=True, slots=True)
class AgreementReport:
    """Agreement coefficients per field, as a tidy frame with a forest plot.

    Attributes
    ----------
    frame : DataFrame
        One row per (group,) field and coefficient: ``field, kind, coefficient, statistic,
        ci_low, ci_high, se, n_units, n_raters, majority_share, method, note`` (plus the ``by``
        column when given). ``kind`` is ``"label"`` or ``"failure_mode"``; ``majority_share`` is
        the share of ratings in the field's most frequent category (high values are where
        kappa and AC1 part ways).
    by : str or None
        The grouping column, if any.
    """

    frame: pd.DataFrame
    by: Hashable | None = None

    def to_frame(self) -> pd.DataFrame:
        """Return the tidy frame (a copy)."""
        return self.frame.copy()

    def plot(self, **kwargs: Any) -> go.Figure:
        """Forest plot, see :func:`evalkit.plots.agreement.forest_plot`."""
        from evalkit.plots.agreement import forest_plot

        return forest_plot(self, **kwargs)

    def _repr_html_(self) -> str:
        cols = [c for c in self.frame.columns if c not in ("method", "note")]
        shown = self.frame[cols].round(3)
        return "<div class='evalkit-report'>" + shown.to_html(index=False, escape=True) + "</div>"


def _failure_mode_fields(
    labels: pd.DataFrame, column: Hashable, separator: str
) -> dict[str, pd.Series]:
    """One boolean column per failure mode named anywhere in ``column``."""
    raw = labels[column]
    sets = raw.map(
        lambda v: frozenset()
        if v is None or (isinstance(v, float) and math.isnan(v))
        else frozenset(s.strip() for s in str(v).split(separator) if s.strip())
    )
    modes = sorted(set().union(*sets)) if len(sets) else []
    return {mode: sets.map(lambda s, m=mode: m in s) for mode in modes}


def agreement_report(
    labels: pd.DataFrame,
    *,
    by: Hashable | None = None,
    unit: Hashable = "trace_id",
    rater: Hashable = "annotator",
    fields: Sequence[Hashable] = ("verdict",),
    failure_modes: Hashable | None = "failure_modes",
    separator: str = ";",
    coefficients: Sequence[str] = DEFAULT_COEFFICIENTS,
    method: str | None = None,
    confidence_level: float = 0.95,
    n_resamples: int = 2000,
    rng: RNGLike = None,
) -> AgreementReport:
    r"""Every agreement coefficient, per label field and per failure mode, in one tidy frame.

    Parameters
    ----------
    labels : DataFrame or LabelStore
        Long labels: one row per (unit, rater), e.g. ``data/labels/human.csv``; or a
        :class:`~evalkit.labels.LabelStore` or its ``labels()`` frame (one row per field).
    by : column name, optional
        Compute separately for each value of this column (e.g. a segment).
    unit, rater : column names, default 'trace_id', 'annotator'
    fields : sequence of column names, default ('verdict',)
        Label fields, each rated on its own.
    failure_modes : column name or None, default 'failure_modes'
        A column of ``separator``-joined failure modes; each mode named anywhere becomes a
        binary field "did this rater flag this mode on this unit".
    separator : str, default ';'
    coefficients : sequence of str
        Names among ``'percent_agreement', 'brennan_prediger', 'fleiss_kappa', 'gwet_ac1',
        'krippendorff_alpha'``; each with its default interval method.
    method : {None, 'analytic', 'bootstrap'}, default None
        Interval method for every coefficient; None uses each one's default (analytic, and the
        bootstrap for alpha). The bootstrap holds its coverage better for rare failure modes on
        few units.
    confidence_level, n_resamples, rng
        Passed on (``rng`` seeds every bootstrap in turn).

    Returns
    -------
    AgreementReport
        ``.frame`` (tidy), ``.plot()`` (forest plot).

    Examples
    --------
    >>> long = pd.DataFrame({
    ...     "trace_id": [1, 1, 2, 2, 3, 3, 4, 4],
    ...     "annotator": ["a", "b"] * 4,
    ...     "verdict": ["pass", "pass", "fail", "fail", "fail", "pass", "pass", "pass"],
    ...     "failure_modes": ["", "", "x", "x;y", "x", "", "", ""],
    ... })
    >>> rep = agreement_report(long, coefficients=["percent_agreement"])
    >>> print(rep.frame[["field", "statistic"]].to_string(index=False))
              field  statistic
            verdict       0.75
    failure_mode: x       0.75
    failure_mode: y       0.75
    """
    if not isinstance(labels, pd.DataFrame) or {"field", "value"} <= set(labels.columns):
        from evalkit.taxonomy._labels import rater_frame  # a LabelStore or its labels() frame

        labels = rater_frame(labels)
    known = tuple(_coefficients())
    for name in coefficients:
        check_choice("coefficients", name, known)
    if method is not None:
        check_choice("method", method, ("analytic", "bootstrap"))
    needed = [unit, rater, *fields] + ([failure_modes] if failure_modes is not None else [])
    needed += [by] if by is not None else []
    for col in needed:
        if col not in labels.columns:
            raise StatisticsInputError(
                f"column {col!r} is not in `labels`; columns are {list(labels.columns)!r}."
            )
    gen = as_rng(rng)
    groups: list[tuple[Any, pd.DataFrame]] = (
        [(None, labels)] if by is None else list(labels.groupby([by], sort=True))
    )
    rows: list[dict[Any, Any]] = []
    for key, part in groups:
        field_series: list[tuple[str, str, pd.Series]] = [
            (str(f), "label", part[f]) for f in fields
        ]
        if failure_modes is not None:
            for mode, flags in _failure_mode_fields(part, failure_modes, separator).items():
                field_series.append((f"failure_mode: {mode}", "failure_mode", flags))
        for field, kind, values in field_series:
            long = pd.DataFrame({"u": part[unit].to_numpy(), "r": part[rater].to_numpy(),
                                 "v": values.to_numpy()})
            wide = to_wide_frame(long, unit="u", rater="r", value="v")
            share = float(long["v"].value_counts(normalize=True).max())
            for name in coefficients:
                kwargs: dict[str, Any] = {"confidence_level": confidence_level,
                                          "n_resamples": n_resamples, "rng": gen}
                if method is not None:
                    kwargs["method"] = method
                res, note = _run(name, wide, kwargs)
                row: dict[Any, Any] = {
                    "field": field, "kind": kind, "coefficient": name,
                    "statistic": res["statistic"], "ci_low": res["ci_low"],
                    "ci_high": res["ci_high"], "se": res["standard_error"],
                    "n_units": res["n_units"], "n_raters": res["n_raters"],
                    "majority_share": share, "method": res["method"], "note": note,
                }
                if by is not None:
                    row = {by: key[0] if isinstance(key, tuple) else key, **row}
                rows.append(row)
    columns = ([by] if by is not None else []) + REPORT_COLUMNS
    return AgreementReport(frame=pd.DataFrame(rows, columns=columns), by=by)


@dataclass(frozen=True, slots=True)
class PairwiseAgreement:
    """Agreement between every pair of raters.

    Attributes
    ----------
    matrix : DataFrame
        Rater x rater coefficients (symmetric; diagonal ``nan``).
    pairs : DataFrame
        One row per pair: ``rater_a, rater_b, statistic, ci_low, ci_high, se, n_units``.
    coefficient : str
        The coefficient used.
    """

    matrix: pd.DataFrame
    pairs: pd.DataFrame
    coefficient: str

    @property
    def mean_by_rater(self) -> pd.Series:
        """Each rater's mean agreement with the others, lowest first."""
        return self.matrix.mean(axis=1, skipna=True).sort_values()

    @property
    def outlier(self) -> Hashable:
        """The rater who agrees least with the others on average."""
        return self.mean_by_rater.index[0]

    def to_frame(self) -> pd.DataFrame:
        """Return the per-pair frame (a copy)."""
        return self.pairs.copy()

    def plot(self, **kwargs: Any) -> go.Figure:
        """Heatmap, see :func:`evalkit.plots.agreement.agreement_heatmap`."""
        from evalkit.plots.agreement import agreement_heatmap

        return agreement_heatmap(self, **kwargs)

    def _repr_html_(self) -> str:
        title = html.escape(f"Pairwise {self.coefficient}; lowest mean: {self.outlier}")
        body = self.matrix.round(3).to_html(escape=True, na_rep="")
        return f"<div class='evalkit-pairwise'><b>{title}</b>{body}</div>"


def pairwise_agreement(
    ratings: Any,
    *,
    coefficient: str = "cohen_kappa",
    confidence_level: float = 0.95,
    n_resamples: int = 2000,
    rng: RNGLike = None,
) -> PairwiseAgreement:
    """Agreement of every pair of raters, to find the outlier annotator.

    Parameters
    ----------
    ratings : DataFrame, shape (n_units, n_raters)
        Wide ratings (see :func:`evalkit.stats.to_wide`); column names name the raters.
    coefficient : str, default 'cohen_kappa'
        One of ``'cohen_kappa', 'percent_agreement', 'brennan_prediger', 'fleiss_kappa',
        'gwet_ac1', 'krippendorff_alpha'``, each with its default interval.
    confidence_level, n_resamples, rng
        Passed on.

    Returns
    -------
    PairwiseAgreement
        ``.matrix``, ``.pairs``, ``.outlier``, ``.plot()``.

    Notes
    -----
    Each pair uses the units both raters rated. A pair with no such unit, or an undefined pair
    (e.g. both raters used one label), is ``nan`` with the reason in ``pairs['note']``.

    Examples
    --------
    >>> wide = pd.DataFrame({"a": [1, 1, 0, 0, 1, 0], "b": [1, 1, 0, 0, 1, 0],
    ...                      "c": [0, 1, 1, 0, 0, 1]})
    >>> pairwise_agreement(wide).outlier
    'c'
    """
    check_choice("coefficient", coefficient, PAIRWISE_COEFFICIENTS)
    frame = ratings if isinstance(ratings, pd.DataFrame) else pd.DataFrame(np.asarray(ratings))
    if frame.ndim != 2 or frame.shape[1] < 2:
        raise StatisticsInputError(
            f"`ratings` needs at least 2 rater columns; got {frame.shape[-1] if frame.ndim else 0}."
        )
    if frame.columns.has_duplicates:
        raise StatisticsInputError(
            f"`ratings` has repeated rater columns: {list(frame.columns)!r}."
        )
    gen = as_rng(rng)
    raters = list(frame.columns)
    mat = pd.DataFrame(np.nan, index=raters, columns=raters, dtype=float)
    rows = []
    for ra, rb in itertools.combinations(raters, 2):
        kwargs: dict[str, Any] = {"confidence_level": confidence_level}
        if coefficient == "krippendorff_alpha":
            kwargs |= {"n_resamples": n_resamples, "rng": gen}
        shared = int((frame[ra].notna() & frame[rb].notna()).sum())
        if shared == 0:  # nothing to compare: a gap in the matrix, not an error
            rows.append({
                "rater_a": ra, "rater_b": rb, "statistic": math.nan, "ci_low": math.nan,
                "ci_high": math.nan, "se": math.nan, "n_units": 0,
                "note": "no unit rated by both raters",
            })
            continue
        with warnings.catch_warnings(record=True) as caught:
            for cat in _NOTED:
                warnings.simplefilter("always", cat)
            if coefficient == "cohen_kappa":
                from evalkit.stats.agreement import cohen_kappa

                res = cohen_kappa(frame[ra], frame[rb], **kwargs)
            else:
                res = _coefficients()[coefficient](frame[[ra, rb]], **kwargs)
        note = "; ".join(str(w.message) for w in caught)
        mat.loc[ra, rb] = mat.loc[rb, ra] = res.statistic
        lo, hi = res.confidence_interval
        rows.append({
            "rater_a": ra, "rater_b": rb, "statistic": res.statistic, "ci_low": lo,
            "ci_high": hi, "se": res.standard_error, "n_units": res.n_units, "note": note,
        })
    mat.index.name = mat.columns.name = frame.columns.name
    return PairwiseAgreement(matrix=mat, pairs=pd.DataFrame(rows), coefficient=coefficient)
