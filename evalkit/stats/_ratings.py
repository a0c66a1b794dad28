"""Ratings in, sufficient statistics out: validation of wide ratings and per-unit category counts.

Every agreement coefficient in :mod:`evalkit.stats.agreement` is a function of the per-unit
category counts ``n[u, k]`` (how many raters put unit ``u`` in category ``k``). This module turns
a units x raters table (any hashable labels, ``None``/``NaN``/``""`` for missing) into those
counts, once, with memory ``O(units x categories)``, or takes them as given
(:class:`CategoryCounts`).
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import NDArray

from evalkit.stats._warnings import (
    LabelCodingWarning,
    StatisticsInputError,
    StatisticsTypeError,
    warn_user,
)


@dataclass(frozen=True, slots=True)
class Ratings:
    """Validated ratings: integer codes per (unit, rater) and the category labels.

    Attributes
    ----------
    codes : ndarray of int64, shape (n_units, n_raters)
        Category index per rating, ``-1`` where missing. Units with no rating at all are dropped.
    categories : ndarray, shape (n_categories,)
        The category labels, sorted when they are sortable.
    raters : list
        Rater (column) names.
    units : pandas.Index
        Unit (row) labels of the kept units.
    """

    codes: NDArray[np.int64]
    categories: NDArray[Any]
    raters: list[Hashable]
    units: pd.Index
    count_table: NDArray[np.float64] | None = None  # set when built from counts, not ratings

    @property
    def n_categories(self) -> int:
        return int(self.categories.size)

    @property
    def n_raters(self) -> int:
        if self.count_table is not None:  # most ratings any unit has
            return int(self.count_table.sum(axis=1).max())
        return int(self.codes.shape[1])

    def counts(self) -> NDArray[np.float64]:
        """Per-unit category counts, shape ``(n_units, n_categories)``."""
        if self.count_table is not None:
            return self.count_table
        return category_counts(self.codes, self.n_categories)

    def distinct_counts(self) -> DistinctRows:
        """Distinct per-unit count vectors with their frequencies.

        Each unit's count vector is keyed by one integer ``sum_r base**code_r`` (a count vector
        in base ``n_raters + 1``), so the units x categories matrix is never built when the key
        fits in int64; only the distinct vectors are.
        """
        base, c = self.n_raters + 1, self.n_categories
        if self.count_table is not None and c * np.log2(base) < 62:
            # same key and order as the ratings path below, so a bootstrap draws the same units
            powers = np.int64(base) ** np.arange(c, dtype=np.int64)
            keys = self.count_table.astype(np.int64) @ powers
            uniq, inverse, freq = np.unique(keys, return_inverse=True, return_counts=True)
            return DistinctRows(
                rows=((uniq[:, None] // powers[None, :]) % base).astype(np.float64),
                freq=freq.astype(np.int64), inverse=inverse.reshape(-1).astype(np.int64),
            )
        if self.count_table is not None:
            return distinct_rows(self.count_table, base=base)
        if c * np.log2(base) >= 62:
            return distinct_rows(self.counts(), base=base)
        powers = np.int64(base) ** np.arange(c, dtype=np.int64)
        radix = np.append(powers, np.int64(0))
        keys = radix[self.codes].sum(axis=1)  # code -1 (missing) picks the trailing 0
        unit_id, uniq = pd.factorize(keys)  # hashing: O(units)
        order = np.argsort(uniq)  # sort the few distinct keys, so unit order never matters
        rank = np.empty_like(order)
        rank[order] = np.arange(order.size)
        uniq = np.asarray(uniq)[order]
        return DistinctRows(
            rows=((uniq[:, None] // powers[None, :]) % base).astype(np.float64),
            freq=np.bincount(unit_id, minlength=uniq.size)[order].astype(np.int64),
            inverse=rank[unit_id].astype(np.int64),
        )

    def numeric_categories(self, why: str) -> NDArray[np.float64]:
        """The categories as floats; a clear error when they are not numbers."""
        try:
            values = np.asarray(self.categories, dtype=np.float64)
        except (TypeError, ValueError):
            shown = ", ".join(repr(c) for c in self.categories[:5])
            raise StatisticsInputError(
                f"{why} needs numeric ratings; got categories {shown}.") from None
        return values


@dataclass(frozen=True, slots=True)
class DistinctRows:
    """Distinct rows of a non-negative integer matrix and how units map onto them.

    Attributes
    ----------
    rows : ndarray, shape (k, d)
        The distinct rows (as float64).
    freq : ndarray of int64, shape (k,)
        How many units have each row.
    inverse : ndarray of int64, shape (n_units,)
        Each unit's row index into ``rows``.
    """

    rows: NDArray[np.float64]
    freq: NDArray[np.int64]
    inverse: NDArray[np.int64]


def distinct_rows(values: NDArray[np.float64], *, base: int) -> DistinctRows:
    """Collapse identical rows of small non-negative integers (each ``< base``).

    Rows are keyed by one int64 (mixed radix) when that fits, which sorts far faster than
    ``np.unique(axis=0)``; otherwise it falls back to the latter.

    Examples
    --------
    >>> d = distinct_rows(np.array([[2., 0.], [1., 1.], [2., 0.]]), base=3)
    >>> d.rows.tolist(), d.freq.tolist(), d.inverse.tolist()
    ([[1.0, 1.0], [2.0, 0.0]], [1, 2], [1, 0, 1])
    """
    d = values.shape[1]
    if d * np.log2(max(base, 2)) < 62:
        radix = np.int64(base) ** np.arange(d - 1, -1, -1, dtype=np.int64)
        keys = values.astype(np.int64) @ radix
        _, first, inverse, freq = np.unique(
            keys, return_index=True, return_inverse=True, return_counts=True
        )
        rows = values[first]
    else:
        rows, inverse, freq = np.unique(values, axis=0, return_inverse=True, return_counts=True)
    return DistinctRows(
        rows=np.asarray(rows, dtype=np.float64),
        freq=freq.astype(np.int64),
        inverse=inverse.reshape(-1).astype(np.int64),
    )


def category_counts(codes: NDArray[np.int64], n_categories: int) -> NDArray[np.float64]:
    """Count ratings per unit and category from a codes matrix (``-1`` = missing).

    Examples
    --------
    >>> category_counts(np.array([[0, 1, -1], [1, 1, 1]]), 2)
    array([[1., 1.],
           [0., 3.]])
    """
    n_units = codes.shape[0]
    unit = np.broadcast_to(np.arange(n_units)[:, None], codes.shape)
    ok = codes >= 0
    flat = unit[ok] * n_categories + codes[ok]
    counts = np.bincount(flat, minlength=n_units * n_categories)
    return counts.reshape(n_units, n_categories).astype(np.float64)


def _is_missing(values: NDArray[Any]) -> NDArray[np.bool_]:
    # "" is missing, as in irrCAC (a blank cell of a spreadsheet export is no rating)
    missing = np.asarray(pd.isna(values), dtype=bool)
    if values.dtype == object:
        missing |= np.asarray(values == "", dtype=bool)
    return missing


def _check_coding(present_uniques: NDArray[Any], name: str) -> None:
    """Warn when a number and a string spell the same label (1 and "1" are two categories)."""
    nums = {str(v): v for v in present_uniques
            if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)}
    clash = [(nums[v.strip()], v) for v in present_uniques
             if isinstance(v, str) and v.strip() in nums]
    if clash:
        shown = ", ".join(f"{a!r} and {b!r}" for a, b in clash[:3])
        warn_user(LabelCodingWarning,
                  f"`{name}` holds numbers and strings that spell the same label ({shown}): "
                  "they count as different categories. Recode them to one type if they mean "
                  "the same.")


def _needs_order(cats: NDArray[Any], order_for: str, order_arg: str) -> None:
    if all(isinstance(c, (int, float, np.number)) for c in cats):  # bools are ints
        return
    shown = ", ".join(repr(c) for c in cats[:6])
    raise StatisticsInputError(
        f"{order_for} orders the categories, and these labels are not numbers ({shown}): pass "
        f"`{order_arg}=` with every label in its order (sorting them would be alphabetical, "
        "e.g. high < low < medium)."
    )


def _sorted_uniques(values: NDArray[Any]) -> NDArray[Any]:
    uniques = pd.unique(values)
    try:
        order = np.argsort(uniques, kind="stable")
        return np.asarray(uniques[order])
    except TypeError:  # mixed, unorderable labels: keep first-appearance order
        return np.asarray(uniques, dtype=object)


def prepare_ratings(
    ratings: Any,
    *,
    categories: Sequence[Hashable] | None = None,
    name: str = "ratings",
    min_raters: int = 2,
    order_for: str | None = None,
    order_arg: str = "categories",
) -> Ratings:
    """Validate a units x raters table and encode it.

    Parameters
    ----------
    ratings : DataFrame or array_like, shape (n_units, n_raters)
        One row per unit, one column per rater; ``None`` or ``NaN`` marks a missing rating.
    categories : sequence, optional
        All possible categories in order (unused ones included). Default: the labels seen,
        sorted when sortable.
    name : str
        Argument name used in error messages.
    min_raters : int
        Fewest columns accepted.
    order_for, order_arg : str, optional
        When the statistic orders the categories (ordinal, weighted): its name, and the
        argument that gives the order. Non-numeric labels then need ``categories``.

    Raises
    ------
    TypeError
        If ``ratings`` is not table-like.
    ValueError
        If it is not 2-D, has too few raters, has no rating at all, or holds a rating not listed
        in ``categories``.
    StatisticsInputError
        Non-numeric labels without ``categories`` for an ordered statistic (``order_for``).

    Notes
    -----
    ``None``, ``NaN`` and the empty string ``""`` are missing ratings. A :class:`CategoryCounts`
    table is accepted as is (units x categories counts).
    """
    if isinstance(ratings, CategoryCounts):
        data = ratings.as_ratings(categories)
        if order_for is not None and categories is None:
            _needs_order(data.categories, order_for, order_arg)
        return data
    if isinstance(ratings, pd.Series):
        raise StatisticsTypeError(
            f"`{name}` must be a units x raters table (DataFrame or 2-D array); got a Series. "
            "Use `to_wide` for long data."
        )
    if isinstance(ratings, pd.DataFrame):
        frame = ratings
    else:
        try:
            arr = np.asarray(ratings, dtype=object if not _looks_numeric(ratings) else None)
        except (TypeError, ValueError) as exc:
            raise StatisticsTypeError(
                f"`{name}` must be a units x raters table (DataFrame or 2-D array); "
                f"got {type(ratings).__name__}."
            ) from exc
        if arr.ndim != 2:
            raise StatisticsInputError(
                f"`{name}` must be 2-D (units x raters); got an array of shape {arr.shape}."
            )
        frame = pd.DataFrame(arr)
    if frame.ndim != 2 or frame.shape[1] < min_raters:
        raise StatisticsInputError(
            f"`{name}` needs at least {min_raters} rater columns; got {frame.shape[1]}."
        )
    if categories is None and all(t.kind in "iuf" for t in frame.dtypes):
        return _prepare_numeric(frame, name)  # numbers order themselves
    values = frame.to_numpy()
    missing = _is_missing(values)
    keep = ~missing.all(axis=1)
    if not keep.any():
        raise StatisticsInputError(f"`{name}` holds no rating at all (every value is missing).")
    values, missing = values[keep], missing[keep]
    present = values[~missing]
    if categories is None:
        cats = _sorted_uniques(present)
        _check_coding(cats, name)
        if order_for is not None:
            _needs_order(cats, order_for, order_arg)
    else:
        cats = np.asarray(list(categories), dtype=object if _mixed(categories) else None)
        if cats.ndim != 1 or cats.size == 0:
            raise StatisticsInputError("`categories` must be a non-empty 1-D sequence of labels.")
        if pd.Index(cats).has_duplicates:
            raise StatisticsInputError(f"`categories` must not repeat a label; got {list(cats)!r}.")
    index = pd.Index(cats)
    codes_present = index.get_indexer(pd.Index(present))
    if (codes_present < 0).any():
        unknown = pd.unique(present[codes_present < 0])[:5]
        raise StatisticsInputError(
            f"`{name}` holds ratings not in `categories`: {', '.join(repr(u) for u in unknown)}; "
            f"allowed: {', '.join(repr(c) for c in cats)}."
        )
    codes = np.full(values.shape, -1, dtype=np.int64)
    codes[~missing] = codes_present
    return Ratings(
        codes=codes,
        categories=cats,
        raters=list(frame.columns),
        units=frame.index[np.flatnonzero(keep)],
    )


def _prepare_numeric(frame: pd.DataFrame, name: str) -> Ratings:
    """Fast path for all-numeric tables (NaN = missing): one hashing pass, no object arrays."""
    values = frame.to_numpy(dtype=np.float64, na_value=np.nan)  # nullable Int64 too
    keep = ~np.isnan(values).all(axis=1)
    if not keep.any():
        raise StatisticsInputError(f"`{name}` holds no rating at all (every value is missing).")
    if not keep.all():
        values = values[keep]
    flat, cats = pd.factorize(values.ravel(), sort=True, use_na_sentinel=True)
    codes = flat.reshape(values.shape).astype(np.int64)
    cats = np.asarray(cats, dtype=np.float64)
    if all(t.kind in "iu" for t in frame.dtypes):
        cats = cats.astype(np.int64)
    return Ratings(
        codes=codes,
        categories=cats,
        raters=list(frame.columns),
        units=frame.index[np.flatnonzero(keep)],
    )


def _plain(value: Any) -> Any:
    return value.item() if isinstance(value, np.generic) else value


def _looks_numeric(obj: Any) -> bool:
    try:
        arr = np.asarray(obj)
    except (TypeError, ValueError):
        return False
    return arr.dtype.kind in "biuf"


def _mixed(seq: Sequence[Hashable]) -> bool:
    return len({type(x) for x in seq}) > 1 or not _looks_numeric(list(seq))


def pair_codes(
    a: Any, b: Any, *, labels: Sequence[Hashable] | None = None, order_for: str | None = None
) -> tuple[NDArray[np.int64], NDArray[np.int64], NDArray[Any], int]:
    """Encode two raters' labels; keep units both rated (complete cases).

    Returns ``(codes_a, codes_b, categories, n_dropped)``.
    """
    a_arr, b_arr = (np.asarray(x, dtype=object) for x in (a, b))
    for nm, arr in (("a", a_arr), ("b", b_arr)):
        if arr.ndim != 1:
            raise StatisticsInputError(
                f"`{nm}` must be 1-D (one label per unit); got shape {arr.shape}."
            )
    if a_arr.size != b_arr.size:
        raise StatisticsInputError(
            f"`a` and `b` must have the same length; got {a_arr.size} and {b_arr.size}."
        )
    table = pd.DataFrame({"a": list(a_arr), "b": list(b_arr)})
    both = ~(_is_missing(a_arr) | _is_missing(b_arr))
    if not both.any():
        raise StatisticsInputError("`a` and `b` share no unit rated by both raters.")
    prepared = prepare_ratings(table[both], categories=labels, name="a, b",
                               order_for=order_for, order_arg="labels")
    return prepared.codes[:, 0], prepared.codes[:, 1], prepared.categories, int((~both).sum())


def to_wide_frame(
    df: pd.DataFrame, *, unit: Hashable, rater: Hashable, value: Hashable
) -> pd.DataFrame:
    """Pivot long ratings (one row per unit and rater) to units x raters."""
    if not isinstance(df, pd.DataFrame):
        raise StatisticsTypeError(f"`df` must be a pandas DataFrame; got {type(df).__name__}.")
    for arg, col in (("unit", unit), ("rater", rater), ("value", value)):
        if col not in df.columns:
            raise StatisticsInputError(
                f"`{arg}` column {col!r} is not in the frame; columns are {list(df.columns)!r}."
            )
    dup = df.duplicated([unit, rater], keep=False)
    if dup.any():
        row = int(np.flatnonzero(dup.to_numpy())[0])
        u, r = (_plain(df[col].iloc[row]) for col in (unit, rater))
        raise StatisticsInputError(
            f"{int(dup.sum())} rows repeat a ({unit}, {rater}) pair, e.g. row {row}: "
            f"{unit}={u!r}, {rater}={r!r}; each rater rates a unit once."
        )
    wide = df.pivot(index=unit, columns=rater, values=value)  # noqa: PD010 (no aggregation)
    wide.columns.name = rater
    return wide


class CategoryCounts:
    """Ratings given as counts: a units x categories table (Fleiss' layout), not one per rater.

    Pass it wherever a units x raters table goes (percent agreement, Brennan-Prediger, Fleiss'
    kappa, AC1/AC2, Krippendorff's alpha); the results equal those on the ratings themselves.
    A warehouse can thus hand over ``COUNT(*) GROUP BY unit, label`` instead of every rating.

    Parameters
    ----------
    table : DataFrame or array_like, shape (n_units, n_categories)
        How many raters put each unit in each category. A DataFrame's columns are the
        categories; units with no rating (a zero row) are dropped.
    categories : sequence, optional
        The category labels in column order (required to order non-numeric labels; default:
        the DataFrame's columns, or ``0..q-1``).

    Raises
    ------
    StatisticsInputError
        A table that is not 2-D, holds anything but non-negative integer counts, or whose
        ``categories`` do not match its columns.

    Examples
    --------
    >>> from evalkit.stats.agreement import fleiss_kappa
    >>> counts = pd.DataFrame({"no": [3, 1, 0, 2], "yes": [0, 2, 3, 1]})
    >>> rows = [["no"] * 3, ["no", "yes", "yes"], ["yes"] * 3, ["no", "no", "yes"]]
    >>> a = fleiss_kappa(CategoryCounts(counts))
    >>> b = fleiss_kappa(rows)
    >>> round(a.statistic, 4), a.statistic == b.statistic
    (0.3333, True)
    """

    __slots__ = ("categories", "table", "units")

    def __init__(self, table: Any, *, categories: Sequence[Hashable] | None = None) -> None:
        if isinstance(table, pd.DataFrame):
            units, cols = table.index, list[Hashable](table.columns)
            raw = table.to_numpy()
        else:
            raw = np.asarray(table)
            units, cols = None, None
        if raw.ndim != 2 or raw.shape[1] < 1:
            raise StatisticsInputError(
                "`table` must be 2-D (units x categories counts); got shape "
                f"{getattr(raw, 'shape', None)}.")
        try:
            vals = np.asarray(raw, dtype=np.float64)
        except (TypeError, ValueError):
            raise StatisticsInputError(
                "`table` must hold non-negative integer counts; got non-numeric values."
            ) from None
        # counts above 2**53 are no longer exact in float64
        bad = ~np.isfinite(vals) | (vals < 0) | (vals != np.round(vals)) | (vals > 2.0**53)
        if bad.any():
            u, k = np.argwhere(bad)[0]
            raise StatisticsInputError(
                "`table` must hold non-negative integer counts (at most 2**53); got "
                f"{raw[u, k]!r} at row {int(u)}, column {int(k)}.")
        cats: list[Hashable]
        if categories is not None:
            cats = list(categories)
            if len(cats) != vals.shape[1] or len(set(cats)) != len(cats):
                raise StatisticsInputError(
                    f"`categories` must name the {vals.shape[1]} columns once each, in order; "
                    f"got {cats!r}.")
        else:
            cats = list(cols) if cols is not None else list(range(vals.shape[1]))
        keep = vals.sum(axis=1) > 0
        if not keep.any():
            raise StatisticsInputError("`table` holds no rating at all (every row sums to 0).")
        self.table = vals[keep]
        self.categories = np.asarray(cats, dtype=object if _mixed(cats) else None)
        idx = units if units is not None else pd.RangeIndex(vals.shape[0])
        self.units = idx[np.flatnonzero(keep)]

    def as_ratings(self, categories: Sequence[Hashable] | None = None) -> Ratings:
        """The table as :class:`Ratings` (reordered / extended to ``categories`` if given)."""
        table, cats = self.table, self.categories
        if categories is not None:
            order = pd.Index(list(categories))
            pos = order.get_indexer(pd.Index(cats))
            used = self.table.sum(axis=0) > 0
            if ((pos < 0) & used).any():
                extra = [c for c, p, u in zip(cats, pos, used, strict=True) if p < 0 and u]
                raise StatisticsInputError(
                    f"the count table has categories not in `categories`: {extra[:5]!r}.")
            table = np.zeros((self.table.shape[0], order.size))
            table[:, pos[pos >= 0]] = self.table[:, pos >= 0]
            cats = np.asarray(list(categories), dtype=object if _mixed(categories) else None)
        return Ratings(codes=np.empty((0, 0), dtype=np.int64), categories=cats, raters=[],
                       units=self.units, count_table=table)
