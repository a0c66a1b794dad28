"""Per-segment statistics of a run comparison, computed from the paired tables alone.

One row per scope (the overall row ``'(all)'`` first, then each segment): both rates, the paired
delta with Tango, Newcombe and bootstrap intervals (or paired t and bootstrap for scores),
McNemar's test, Holm and Benjamini-Hochberg adjusted p-values and the regression flag. Judge-scored
runs can be corrected with a :class:`~evalkit.stats.CalibrationResult` per run.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from evalkit.runs._pairing import OVERALL
from evalkit.stats._common import bootstrap_interval, compress_units
from evalkit.stats._confusion import CalibrationResult
from evalkit.stats._paired import (
    adjust_pvalues,
    mcnemar_pvalue,
    paired_bootstrap_interval,
    paired_difference_interval,
    paired_t_interval,
)
from evalkit.stats._rogan_gladen import rogan_gladen


def _adjusted(frame: pd.DataFrame, adjust: str, cl: float) -> pd.DataFrame:
    """Holm and BH columns over the family of segments (the overall row is its own family)."""
    p = frame["p_value"].to_numpy(dtype=np.float64)
    seg = (frame.index != OVERALL) if len(frame) > 1 else np.ones(len(frame), dtype=bool)
    holm, bh = p.copy(), p.copy()
    holm[seg] = adjust_pvalues(p[seg], method="holm")
    bh[seg] = adjust_pvalues(p[seg], method="bh")
    frame["p_holm"], frame["p_bh"] = holm, bh
    frame["p_adjusted"] = {"holm": holm, "bh": bh, "none": p}[adjust]
    frame["significant"] = frame["p_adjusted"] < 1.0 - cl
    return frame


def verdict_stats(
    tables: pd.DataFrame, *, interval: str, cl: float, mid_p: bool, n_resamples: int,
    rng: np.random.Generator, calibration: tuple[CalibrationResult, CalibrationResult] | None,
) -> pd.DataFrame:
    """Statistics per row of ``tables`` (columns ``n11, n10, n01, n00``)."""
    a, b, c, d = (tables[k].to_numpy(dtype=np.float64) for k in ("n11", "n10", "n01", "n00"))
    n = a + b + c + d
    out = pd.DataFrame(index=tables.index.copy())
    out["n"] = n.astype(np.int64)
    for k in ("n11", "n10", "n01", "n00"):
        out[k] = tables[k].to_numpy(dtype=np.int64)
    out["baseline_rate"], out["candidate_rate"] = (a + b) / n, (a + c) / n
    out["delta"] = (c - b) / n
    for m in ("tango", "newcombe"):
        lo, hi = paired_difference_interval(a, b, c, d, method=m, confidence_level=cl)
        out[f"{m}_low"], out[f"{m}_high"] = lo, hi
    boot = np.full((len(n), 3), np.nan)
    if n_resamples > 0:
        for i in range(len(n)):
            boot[i] = paired_bootstrap_interval(int(a[i]), int(b[i]), int(c[i]), int(d[i]),
                                                n_resamples=n_resamples, confidence_level=cl,
                                                rng=rng)
    out["bootstrap_low"], out["bootstrap_high"] = boot[:, 0], boot[:, 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        out["standard_error"] = np.sqrt(np.maximum((b + c) / n - out["delta"] ** 2, 0.0) / n)
    main = {"tango": "tango", "newcombe": "newcombe", "bootstrap": "bootstrap"}.get(interval)
    if main is None:  # wald: reference only
        lo, hi = paired_difference_interval(a, b, c, d, method="wald", confidence_level=cl)
        out["ci_low"], out["ci_high"] = lo, hi
    else:
        out["ci_low"], out["ci_high"] = out[f"{main}_low"], out[f"{main}_high"]
    out["p_value"] = mcnemar_pvalue(b, c, mid_p=mid_p)
    if calibration is not None:
        out = _calibrated(out, calibration, cl=cl, n_resamples=n_resamples, rng=rng)
    return out


def _beta_draws(cal: CalibrationResult, size: int, rng: np.random.Generator
                ) -> tuple[np.ndarray, np.ndarray]:
    # Jeffreys Beta posteriors of TPR and TNR, as evalkit.stats' corrected pass rate bootstrap
    return (rng.beta(cal.tp + 0.5, cal.fn + 0.5, size=size),
            rng.beta(cal.tn + 0.5, cal.fp + 0.5, size=size))


def calibrated_bootstrap(
    cells: np.ndarray, cal_b: CalibrationResult, cal_c: CalibrationResult, *, cl: float,
    size: int, rng: np.random.Generator,
) -> tuple[float, float, float]:
    """Percentile interval and sd of the corrected delta for one paired table of judge verdicts.

    ``cells`` is ``(n11, n10, n01, n00)``. Each of ``size`` draws resamples the table (a
    multinomial draw over its cells) and draws TPR and TNR from their Jeffreys posteriors (the
    same draws for both runs when ``cal_c is cal_b``: one judge). ``nan`` when fewer than half
    the draws are defined (a worse-than-chance judge) or the table is empty. The statistic
    behind ``compare_runs(..., calibration=...)``; the coverage simulation calls it directly.
    """
    cells = np.asarray(cells, dtype=np.float64)
    n = int(cells.sum())
    if n == 0:
        return np.nan, np.nan, np.nan
    draw = rng.multinomial(n, cells / n, size=size)
    pb = (draw[:, 0] + draw[:, 1]) / n
    pc = (draw[:, 0] + draw[:, 2]) / n
    tpr_b, tnr_b = _beta_draws(cal_b, size, rng)
    tpr_c, tnr_c = (tpr_b, tnr_b) if cal_c is cal_b else _beta_draws(cal_c, size, rng)
    delta = rogan_gladen(pc, tpr_c, tnr_c, clip=False) - rogan_gladen(pb, tpr_b, tnr_b,
                                                                      clip=False)
    delta = delta[np.isfinite(delta)]
    if delta.size < size // 2:  # most draws are a worse-than-chance judge: undefined
        return np.nan, np.nan, np.nan
    lo, hi = np.quantile(delta, [(1 - cl) / 2, (1 + cl) / 2])
    return float(lo), float(hi), float(np.std(delta, ddof=1))


def _calibrated(
    out: pd.DataFrame, calibration: tuple[CalibrationResult, CalibrationResult], *, cl: float,
    n_resamples: int, rng: np.random.Generator,
) -> pd.DataFrame:
    cal_b, cal_c = calibration
    rb = out["baseline_rate"].to_numpy()
    rc = out["candidate_rate"].to_numpy()
    out["raw_baseline_rate"], out["raw_candidate_rate"], out["raw_delta"] = rb, rc, out["delta"]
    tb, nb = cal_b.tpr.statistic, cal_b.tnr.statistic
    tc, nc = cal_c.tpr.statistic, cal_c.tnr.statistic
    theta_b = rogan_gladen(rb, tb, nb, clip=False)
    theta_c = rogan_gladen(rc, tc, nc, clip=False)
    out["baseline_rate"] = np.clip(theta_b, 0, 1)
    out["candidate_rate"] = np.clip(theta_c, 0, 1)
    out["delta"] = theta_c - theta_b
    size = max(n_resamples, 2000)
    cells = out[["n11", "n10", "n01", "n00"]].to_numpy(dtype=np.float64)
    ci = np.array([calibrated_bootstrap(row, cal_b, cal_c, cl=cl, size=size, rng=rng)
                   for row in cells]).reshape(-1, 3)
    out["ci_low"], out["ci_high"], out["standard_error"] = ci[:, 0], ci[:, 1], ci[:, 2]
    return out


def score_stats(
    tables: pd.DataFrame, diffs: dict[str, np.ndarray], *, interval: str, cl: float,
    n_resamples: int, rng: np.random.Generator,
) -> pd.DataFrame:
    """Statistics per row of score sums (``n, sum_baseline, sum_candidate, sum_diff, ...``)."""
    n = tables["n"].to_numpy(dtype=np.float64)
    out = pd.DataFrame(index=tables.index.copy())
    out["n"] = n.astype(np.int64)
    out["baseline_rate"] = tables["sum_baseline"].to_numpy() / n
    out["candidate_rate"] = tables["sum_candidate"].to_numpy() / n
    out["delta"] = tables["sum_diff"].to_numpy() / n
    lo, hi, se, p = paired_t_interval(n, tables["sum_diff"], tables["sum_diff_sq"],
                                      confidence_level=cl)
    out["t_low"], out["t_high"], out["standard_error"], out["p_value"] = lo, hi, se, p
    boot = np.full((len(n), 2), np.nan)
    if n_resamples > 0 and diffs:
        for i, seg in enumerate(out.index):
            d = diffs[seg] if seg in diffs else np.concatenate(list(diffs.values()))
            k = float(len(d))
            res = bootstrap_interval(lambda s, k=k: s[:, 0] / k, compress_units(d),
                                     n_resamples=n_resamples, confidence_level=cl,
                                     method="percentile", rng=rng)
            boot[i] = res.confidence_interval
    out["bootstrap_low"], out["bootstrap_high"] = boot[:, 0], boot[:, 1]
    main = "bootstrap" if interval == "bootstrap" else "t"
    out["ci_low"], out["ci_high"] = out[f"{main}_low"], out[f"{main}_high"]
    return out


def finish(frame: pd.DataFrame, *, adjust: str, cl: float, bound: str, max_regression: float
           ) -> pd.DataFrame:
    """Adjusted p-values, the bound the gate reads and the regression flag."""
    frame = _adjusted(frame, adjust, cl)
    value = frame["ci_low"] if bound == "lower" else frame["delta"]
    frame["gate_value"] = value
    # an undefined bound (nan) cannot show the gate holds: it counts as a regression
    frame["regressed"] = ~(value >= -max_regression)
    frame.insert(0, "scope", np.where(frame.index == OVERALL, "overall", "segment"))
    return frame.reset_index()


