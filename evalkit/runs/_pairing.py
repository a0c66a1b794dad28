"""Pair two runs case by case and reduce them to sufficient statistics per segment.

Rows in (one row per case and run) become, per segment, the paired 2x2 table of verdicts
(``n11, n10, n01, n00``) or the sums of score differences (``n, sum_baseline, sum_candidate,
sum_diff, sum_diff_sq``). Everything downstream (intervals, tests, the gate) reads only those
tables, which is why a warehouse can compute them in SQL and hand them over instead of rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from evalkit.labels.verdicts import VerdictError, is_vocabulary, normalize_verdict
from evalkit.runs._errors import (
    DuplicateCaseError,
    EmptySegmentError,
    MixedOutcomeError,
    RunInputError,
    UnmatchedCasesError,
    VerdictMismatchError,
)

OVERALL = "(all)"  # the same label evalkit.stats uses for the overall row
ID_COLUMNS: tuple[str, ...] = ("case_id", "trace_id")
TABLE_COLUMNS: tuple[str, ...] = ("n11", "n10", "n01", "n00")
SCORE_COLUMNS: tuple[str, ...] = ("n", "sum_baseline", "sum_candidate", "sum_diff", "sum_diff_sq")
Outcome = Literal["auto", "verdict", "score"]
Unmatched = Literal["error", "drop"]
_SHOW = 10  # ids listed in a message


@dataclass(frozen=True, slots=True, kw_only=True)
class Paired:
    """Sufficient statistics per segment, plus what pairing left out (for the report)."""

    outcome: str  # "verdict" or "score"
    tables: pd.DataFrame  # index: segment (str); columns TABLE_COLUMNS or SCORE_COLUMNS
    by: str | None
    only_baseline: tuple[str, ...] = ()
    only_candidate: tuple[str, ...] = ()
    n_outside_cases: int = 0
    # per-segment score differences (rows in only), for the bootstrap of score deltas
    diffs: dict[str, np.ndarray] = field(default_factory=dict)


def _show(ids: Any) -> str:
    ids = list(ids)
    head = ", ".join(repr(str(i)) for i in ids[:_SHOW])
    return head + (f" ... (+{len(ids) - _SHOW} more)" if len(ids) > _SHOW else "")


def _id_column(frame: pd.DataFrame, name: str, id_column: str | None) -> str:
    if id_column is not None:
        if id_column not in frame.columns:
            raise RunInputError(f"{name} has no `id_column` {id_column!r}; columns: "
                                f"{list(map(str, frame.columns))!r}.")
        return id_column
    for col in ID_COLUMNS:
        if col in frame.columns:
            return col
    raise RunInputError(f"{name} needs a 'case_id' or 'trace_id' column; got columns "
                        f"{list(map(str, frame.columns))!r}.")


def _outcome_of(frame: pd.DataFrame, name: str, outcome: Outcome) -> str:
    has_v, has_s = "verdict" in frame.columns, "score" in frame.columns
    if outcome == "auto":
        if has_v and has_s:
            raise MixedOutcomeError(f"{name} has both a 'verdict' and a 'score' column; choose "
                                    "one with outcome='verdict' or outcome='score'.")
        if not (has_v or has_s):
            raise RunInputError(f"{name} needs a 'verdict' or a 'score' column; got columns "
                                f"{list(map(str, frame.columns))!r}.")
        return "verdict" if has_v else "score"
    if outcome not in frame.columns:
        raise RunInputError(f"{name} has no {outcome!r} column (outcome={outcome!r}); got "
                            f"columns {list(map(str, frame.columns))!r}.")
    return outcome


def _verdict_passes(values: pd.Series, name: str, positive: Any) -> tuple[np.ndarray, set[str]]:
    """Pass indicator per row; each distinct spelling is normalised once (fast on 1M rows)."""
    codes, uniques = pd.factorize(values, use_na_sentinel=True)
    if (codes < 0).any():
        row = int(np.flatnonzero(codes < 0)[0])
        raise VerdictMismatchError(f"{name} has {(codes < 0).sum()} missing verdict(s), first at "
                                   f"row {row}; every case needs a verdict.")
    lookup = np.empty(len(uniques), dtype=bool)
    spellings: set[str] = set()
    for i, u in enumerate(uniques):
        try:
            lookup[i] = normalize_verdict(u, positive=positive) == "pass"
        except VerdictError as err:
            hint = (" (numbers other than 0/1 look like scores: use a 'score' column)"
                    if isinstance(u, (int, float, np.number)) and not isinstance(u, bool) else "")
            raise VerdictMismatchError(f"{name}: {err}{hint}") from None
        spellings.add(str(u).strip().lower())
    return lookup[codes], spellings


def _check_vocabulary(sb: set[str], sc: set[str], positive: Any) -> None:
    """With ``positive=`` (a vocabulary of one's own) both runs must spell verdicts alike."""
    if positive is None or is_vocabulary([positive]):
        return
    pos = str(positive).strip().lower()
    both = sb | sc
    if len(both) > 2 or not (pos in sb or pos in sc):
        raise VerdictMismatchError(
            f"with positive={positive!r} the runs must use one two-valued vocabulary; the "
            f"baseline uses {sorted(sb)!r} and the candidate {sorted(sc)!r}. Recode one run so "
            "that the same spelling means pass in both.")


def _scores(values: pd.Series, name: str) -> np.ndarray:
    try:
        arr = pd.to_numeric(values, errors="raise").to_numpy(dtype=np.float64)
    except (TypeError, ValueError):
        bad = values[pd.to_numeric(values, errors="coerce").isna()].iloc[0]
        raise RunInputError(f"{name}: 'score' must be numeric; got {bad!r}.") from None
    if not np.isfinite(arr).all():
        row = int(np.flatnonzero(~np.isfinite(arr))[0])
        raise RunInputError(f"{name}: 'score' must be finite for every case; got {arr[row]!r} at "
                            f"row {row}.")
    return arr


def _ids(frame: pd.DataFrame, col: str, name: str, *, unique: bool = True) -> pd.Index:
    ids = frame[col]
    if ids.isna().any():
        raise RunInputError(f"{name}: {col!r} is missing in {int(ids.isna().sum())} row(s).")
    idx = pd.Index(ids)
    if unique and not idx.is_unique:
        _duplicates(idx[idx.duplicated()].unique(), name, col)
    return idx


def _duplicates(dup: Any, name: str, col: str) -> None:
    raise DuplicateCaseError(f"{name} has {len(dup)} duplicated {col}(s): {_show(dup)}; each "
                             "case must appear once per run.")


def _match(ib: pd.Index, ic: pd.Index, cols: tuple[str, str]) -> np.ndarray:
    """Row of each baseline case in the candidate (-1: none).

    One hash table, the candidate's (its uniqueness check and the lookup share it); duplicated
    baseline ids show up as a candidate row matched twice, or as a repeated unmatched id.
    """
    if not ic.is_unique:
        _duplicates(ic[ic.duplicated()].unique(), "candidate", cols[1])
    pos = np.asarray(ic.get_indexer(ib), dtype=np.int64)
    hit = pos >= 0
    twice = np.bincount(pos[hit], minlength=len(ic)) > 1
    lost = ib[~hit]
    if twice.any() or not lost.is_unique:
        dup = ic[twice].append(lost[lost.duplicated()]).unique()
        _duplicates(dup, "baseline", cols[0])
    return pos


def _as_str_index(a: pd.Index, b: pd.Index) -> tuple[pd.Index, pd.Index]:
    """Ids of different dtypes (``7`` and ``'7'``) compare as text; equal dtypes as they are."""
    if a.dtype == b.dtype:
        return a, b
    return pd.Index(a.astype(str), dtype=object), pd.Index(b.astype(str), dtype=object)


def pair_rows(
    baseline: pd.DataFrame, candidate: pd.DataFrame, *, by: str | None, by_is_default: bool,
    outcome: Outcome, positive: Any, unmatched: Unmatched, id_column: str | None,
    cases: pd.DataFrame | None,
) -> Paired:
    """Pair the rows of two runs on their case ids and tabulate them per segment."""
    if unmatched not in ("error", "drop"):
        raise RunInputError(f"`unmatched` must be one of 'error', 'drop'; got {unmatched!r}.")
    ob = _outcome_of(baseline, "baseline", outcome)
    oc = _outcome_of(candidate, "candidate", outcome)
    if ob != oc:
        raise MixedOutcomeError(f"the baseline has {ob}s and the candidate has {oc}s; compare "
                                "verdicts with verdicts or scores with scores.")
    col_b = _id_column(baseline, "baseline", id_column)
    col_c = _id_column(candidate, "candidate", id_column)
    ib = _ids(baseline, col_b, "baseline", unique=False)
    ic = _ids(candidate, col_c, "candidate", unique=False)
    ib, ic = _as_str_index(ib, ic)
    n_outside = 0
    case_seg: pd.Series | None = None
    if cases is not None:
        col = col_b if col_b in cases.columns else _id_column(cases, "cases", id_column)
        cid = _ids(cases, col, "cases")
        if cid.dtype != ib.dtype:  # e.g. golden case ids are text, a run's ids numbers
            cid, ib = _as_str_index(cid, ib)
            ib, ic = _as_str_index(ib, ic.astype(str))
        if by is not None and by in cases.columns:
            case_seg = pd.Series(cases[by].to_numpy(), index=cid)
        in_b, in_c = ib.isin(cid), ic.isin(cid)
        n_outside = int((~in_b).sum() + (~in_c).sum())
        baseline, ib = baseline[in_b], ib[in_b]
        candidate, ic = candidate[in_c], ic[in_c]
        missing_b, missing_c = cid.difference(ib), cid.difference(ic)
        if (len(missing_b) or len(missing_c)) and unmatched == "error":
            raise UnmatchedCasesError(
                f"the case list has {len(missing_b)} case(s) missing from the baseline "
                f"({_show(missing_b)}) and {len(missing_c)} missing from the candidate "
                f"({_show(missing_c)}); pass unmatched='drop' to compare the rest.",
                only_baseline=list(missing_c), only_candidate=list(missing_b))
    pos = _match(ib, ic, (col_b, col_c))
    only_b = ib[pos < 0]
    matched_c = np.zeros(len(ic), dtype=bool)
    matched_c[pos[pos >= 0]] = True
    only_c = ic[~matched_c]
    if (len(only_b) or len(only_c)) and unmatched == "error":
        raise UnmatchedCasesError(
            f"the runs do not cover the same cases: {len(only_b)} only in the baseline "
            f"({_show(only_b)}) and {len(only_c)} only in the candidate ({_show(only_c)}); pass "
            "unmatched='drop' to compare the shared cases (the count is reported).",
            only_baseline=list(only_b), only_candidate=list(only_c))
    rb = np.flatnonzero(pos >= 0)
    rc = pos[rb]
    if rb.size == 0:
        raise EmptySegmentError("the two runs share no case; nothing to compare.")
    seg = _segments(baseline, candidate, rb, rc, ib, by, by_is_default, case_seg)
    used_by = by if seg is not None else None
    if ob == "verdict":
        pb, sb = _verdict_passes(baseline[ob], "baseline", positive)
        pc, sc = _verdict_passes(candidate[oc], "candidate", positive)
        _check_vocabulary(sb, sc, positive)
        tables = _tables_from_passes(pb[rb], pc[rc], seg)
        return Paired(outcome="verdict", tables=tables, by=used_by,
                      only_baseline=tuple(map(str, only_b)),
                      only_candidate=tuple(map(str, only_c)), n_outside_cases=n_outside)
    xb = _scores(baseline[ob], "baseline")[rb]
    xc = _scores(candidate[oc], "candidate")[rc]
    tables, diffs = _score_sums(xb, xc, seg)
    return Paired(outcome="score", tables=tables, by=used_by, diffs=diffs,
                  only_baseline=tuple(map(str, only_b)), only_candidate=tuple(map(str, only_c)),
                  n_outside_cases=n_outside)


Segments = tuple[np.ndarray, list[str]]  # codes per paired case, sorted names


def _name_codes(values: Any) -> tuple[np.ndarray, list[str]]:
    """Codes (``-1`` missing) and names as strings; categorical columns stay codes (fast)."""
    if isinstance(values.dtype, pd.CategoricalDtype):  # codes as stored (unused ones drop later)
        return values.cat.codes.to_numpy(), [str(u) for u in values.cat.categories]
    codes, uniques = pd.factorize(values)
    return np.asarray(codes), [str(u) for u in uniques]


def _sorted_segments(codes: np.ndarray, names: list[str]) -> Segments:
    """Merge names equal as strings (``1`` and ``'1'``), sort them, remap the codes."""
    if OVERALL in names:
        raise RunInputError(f"segment name {OVERALL!r} is reserved for the overall row; rename it.")
    sub, final = pd.factorize(pd.Index(names, dtype=object), sort=True)
    return np.asarray(sub)[codes], [str(x) for x in final]


def _segments(
    baseline: pd.DataFrame, candidate: pd.DataFrame, rb: np.ndarray, rc: np.ndarray,
    ib: pd.Index, by: str | None, by_is_default: bool, case_seg: pd.Series | None,
) -> Segments | None:
    if by is None:
        return None
    if case_seg is not None:
        codes, names = _name_codes(case_seg.reindex(ib[rb]))
    elif by in baseline.columns:
        cb, names = _name_codes(baseline[by])
        codes = cb[rb]
        if by in candidate.columns:
            cc, names_c = _name_codes(candidate[by])
            # the candidate's names as the baseline's codes (-2: a name the baseline lacks)
            where = {n: i for i, n in enumerate(names)}
            as_b = np.array([where.get(n, -2) for n in names_c] + [-1], dtype=np.int64)
            other = as_b[cc[rc]]  # code -1 (missing) indexes the trailing -1
            differ = codes != other
            if differ.any():
                i = int(np.flatnonzero(differ)[0])
                shown = [names[codes[i]] if codes[i] >= 0 else None,
                         names_c[cc[rc][i]] if cc[rc][i] >= 0 else None]
                raise RunInputError(
                    f"the runs disagree on {by!r} for {int(differ.sum())} case(s), e.g. case "
                    f"{str(ib[rb][i])!r}: baseline {shown[0]!r}, candidate {shown[1]!r}.")
    elif by in candidate.columns:
        cc, names = _name_codes(candidate[by])
        codes = cc[rc]
    elif by_is_default:
        return None
    else:
        raise RunInputError(f"`by` column {by!r} is in neither run (nor in the case list).")
    missing = codes < 0
    if missing.any():
        raise RunInputError(f"{by!r} is missing for {int(missing.sum())} paired case(s), e.g. "
                            f"{str(ib[rb][int(np.flatnonzero(missing)[0])])!r}; give every case a "
                            "segment (or by=None).")
    return _sorted_segments(codes, names)


def _tables_from_passes(pb: np.ndarray, pc: np.ndarray, seg: Segments | None) -> pd.DataFrame:
    cell = 3 - (2 * pb.astype(np.int64) + pc.astype(np.int64))  # 0:n11 1:n10 2:n01 3:n00
    if seg is None:
        counts = np.bincount(cell, minlength=4)[None, :]
        return pd.DataFrame(counts, index=pd.Index([OVERALL], name="segment"),
                            columns=list(TABLE_COLUMNS)).astype("int64")
    codes, names = seg
    counts = np.bincount(codes * 4 + cell, minlength=4 * len(names)).reshape(-1, 4)
    used = counts.sum(axis=1) > 0  # categories no paired case has are not segments
    return pd.DataFrame(counts[used], index=pd.Index(np.asarray(names, dtype=object)[used],
                                                     name="segment"),
                        columns=list(TABLE_COLUMNS)).astype("int64")


def _score_sums(xb: np.ndarray, xc: np.ndarray, seg: Segments | None
                ) -> tuple[pd.DataFrame, dict[str, np.ndarray]]:
    d = xc - xb
    if seg is None:
        codes, names = np.zeros(len(d), dtype=np.int64), [OVERALL]
    else:
        codes, names = seg
    k = len(names)
    cols = {
        "n": np.bincount(codes, minlength=k).astype(np.float64),
        "sum_baseline": np.bincount(codes, xb, minlength=k),
        "sum_candidate": np.bincount(codes, xc, minlength=k),
        "sum_diff": np.bincount(codes, d, minlength=k),
        "sum_diff_sq": np.bincount(codes, d * d, minlength=k),
    }
    frame = pd.DataFrame(cols, index=pd.Index([str(s) for s in names], name="segment"))
    frame["n"] = frame["n"].astype("int64")
    used = frame["n"].to_numpy() > 0  # categories no paired case has are not segments
    diffs = {str(names[j]): d[codes == j] for j in range(k) if used[j]}
    return frame[used], diffs


def tables_from_counts(counts: pd.DataFrame, *, by: str | None) -> Paired:
    """Validate sufficient statistics handed in directly (one row per segment)."""
    cols = set(map(str, counts.columns))
    if set(TABLE_COLUMNS) <= cols:
        outcome, need = "verdict", TABLE_COLUMNS
    elif set(SCORE_COLUMNS) <= cols:
        outcome, need = "score", SCORE_COLUMNS
    else:
        raise RunInputError(
            "counts need the columns 'n11', 'n10', 'n01', 'n00' (paired verdict tables) or "
            "'n', 'sum_baseline', 'sum_candidate', 'sum_diff', 'sum_diff_sq' (paired scores); got "
            f"{sorted(cols)!r}.")
    seg_col = by if by is not None and by in cols else None
    if by is not None and seg_col is None and len(counts) > 1:
        raise RunInputError(f"counts with several rows need a {by!r} column naming the segment.")
    vals = counts[list(need)]
    try:
        arr = vals.to_numpy(dtype=np.float64)
    except (TypeError, ValueError):
        raise RunInputError(f"count columns must be numeric; got dtypes {vals.dtypes.to_dict()!r}."
                            ) from None
    ints = list(need) if outcome == "verdict" else ["n"]
    iarr = counts[ints].to_numpy(dtype=np.float64)
    if (not np.isfinite(arr).all() or (iarr < 0).any()
            or not np.all(np.equal(np.mod(iarr, 1), 0))):
        raise RunInputError(f"count columns {ints!r} must be non-negative integers (and sums "
                            f"finite); got {counts[list(need)].head(3).to_dict('records')!r}.")
    if seg_col is None:
        if len(counts) != 1:
            raise RunInputError("counts without a segment column must have exactly one row.")
        index = pd.Index([OVERALL], name="segment")
    else:
        names = counts[seg_col]
        if names.isna().any():
            raise RunInputError(f"the segment column {seg_col!r} of the counts has missing names.")
        index = pd.Index(names.astype(str).to_numpy(), name="segment")
        if not index.is_unique:
            raise DuplicateCaseError(f"segments listed twice in the counts: "
                                     f"{_show(index[index.duplicated()].unique())}.")
        if (index == OVERALL).any():
            raise RunInputError(f"segment name {OVERALL!r} is reserved for the overall row.")
    tables = pd.DataFrame(arr, index=index, columns=list(need))
    for c in ints:
        tables[c] = tables[c].astype("int64")
    n = tables[list(TABLE_COLUMNS)].sum(axis=1) if outcome == "verdict" else tables["n"]
    if (n == 0).any():
        empty = index[(n == 0).to_numpy()]
        raise EmptySegmentError(f"segment(s) with no paired case: {_show(empty)}; drop them "
                                "from the counts.")
    if outcome == "score" and (tables["n"] < 2).any():
        raise EmptySegmentError("paired score sums need at least 2 cases per segment; got n < 2 "
                                f"for {_show(index[(tables['n'] < 2).to_numpy()])}.")
    return Paired(outcome=outcome, tables=tables.sort_index(), by=seg_col)


def overall_row(tables: pd.DataFrame) -> pd.DataFrame:
    """Prepend the overall row (column sums) unless the tables already are the overall row."""
    if list(tables.index) == [OVERALL]:
        return tables
    total = tables.sum(axis=0).to_frame().T
    total.index = pd.Index([OVERALL], name="segment")
    return pd.concat([total.astype(tables.dtypes.to_dict()), tables])


def is_counts(frame: Any) -> bool:
    """Whether a frame holds sufficient statistics (tables or score sums) rather than rows."""
    return isinstance(frame, pd.DataFrame) and (
        set(TABLE_COLUMNS) <= set(map(str, frame.columns))
        or set(SCORE_COLUMNS) <= set(map(str, frame.columns)))


__all__ = ["OVERALL", "Paired", "is_counts", "overall_row", "pair_rows", "tables_from_counts"]
