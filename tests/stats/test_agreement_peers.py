"""Cross-checks against peer libraries on seeded random data (with missing ratings).

Peers: statsmodels (Fleiss' kappa, Cohen's kappa with its large-sample variance), scikit-learn
(weighted Cohen's kappa), krippendorff (alpha at every level) and irrCAC (Gwet's linearization
variances; irrCAC rounds its output to 5 decimals, hence atol=1e-5 / 2e-5 on intervals).
"""

from __future__ import annotations

import krippendorff
import numpy as np
import pandas as pd
import pytest
from irrCAC.raw import CAC
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats import inter_rater

from evalkit.stats.agreement import (
    brennan_prediger,
    cohen_kappa,
    fleiss_kappa,
    gwet_ac1,
    krippendorff_alpha,
    percent_agreement,
)

# irrCAC mutates a slice of its input when a unit has no rating (its own warning, not ours)
pytestmark = pytest.mark.filterwarnings("ignore::pandas.errors.SettingWithCopyWarning")

SEEDS = [0, 1, 2, 3, 4]


def random_ratings(
    seed: int,
    *,
    n_units: int = 60,
    n_raters: int = 4,
    n_categories: int = 4,
    p_missing: float = 0.15,
    agreement: float = 0.6,
) -> pd.DataFrame:
    """Ratings with a latent true category per unit, rater noise and missing cells."""
    rng = np.random.default_rng(seed)
    truth = rng.integers(1, n_categories + 1, size=n_units)
    noise = rng.integers(1, n_categories + 1, size=(n_units, n_raters))
    keep = rng.random((n_units, n_raters)) < agreement
    x = np.where(keep, truth[:, None], noise).astype(float)
    x[rng.random((n_units, n_raters)) < p_missing] = np.nan
    x[0, 1:] = np.nan  # a unit with a single rating
    return pd.DataFrame(x, columns=[f"r{i}" for i in range(n_raters)])


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(
    ("ours", "peer"),
    [(gwet_ac1, "gwet"), (fleiss_kappa, "fleiss"), (brennan_prediger, "bp")],
)
def test_gwet_family_matches_irrcac(seed: int, ours, peer: str) -> None:
    # irrCAC's linearization, which with a single-rated unit differs from our default (ratio)
    data = random_ratings(seed)
    res = ours(data, linearization="gwet")
    ref = getattr(CAC(data), peer)()["est"]
    np.testing.assert_allclose(res.statistic, ref["coefficient_value"], atol=1e-5)
    np.testing.assert_allclose(res.standard_error, ref["se"], atol=1e-5)
    np.testing.assert_allclose(res.confidence_interval, ref["confidence_interval"], atol=2e-5)
    np.testing.assert_allclose(res.observed_agreement, ref["pa"], atol=1e-5)
    np.testing.assert_allclose(res.chance_agreement, ref["pe"], atol=1e-5)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(
    ("ours", "peer", "weights"),
    [(gwet_ac1, "gwet", None), (fleiss_kappa, "fleiss", None), (brennan_prediger, "bp", None),
     (gwet_ac1, "gwet", "quadratic")],
)
def test_default_linearization_matches_irrcac_when_every_unit_is_pairable(
    seed: int, ours, peer: str, weights: str | None
) -> None:
    # missing ratings, but every unit keeps two or more: the ratio and Gwet's forms coincide
    data = random_ratings(seed, p_missing=0.2)
    data.iloc[0, 1] = data.iloc[0, 0]
    data = data[data.notna().sum(axis=1) >= 2]
    res = ours(data, weights=weights) if weights else ours(data)
    ref = getattr(CAC(data, weights=weights or "identity"), peer)()["est"]
    np.testing.assert_allclose(res.statistic, ref["coefficient_value"], atol=1e-5)
    np.testing.assert_allclose(res.standard_error, ref["se"], atol=1e-5)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("weights", ["linear", "quadratic"])
def test_gwet_ac2_matches_irrcac(seed: int, weights: str) -> None:
    data = random_ratings(seed, n_categories=5)
    res = gwet_ac1(data, weights=weights, linearization="gwet")
    ref = CAC(data, weights=weights).gwet()["est"]
    assert ref["coefficient_name"] == "AC2" and res.coefficient == "gwet_ac2"
    np.testing.assert_allclose(res.statistic, ref["coefficient_value"], atol=1e-5)
    np.testing.assert_allclose(res.standard_error, ref["se"], atol=1e-5)


@pytest.mark.parametrize("seed", SEEDS)
def test_finite_population_correction_matches_irrcac(seed: int) -> None:
    data = random_ratings(seed)
    res = gwet_ac1(data, n_population=200, linearization="gwet")
    ref = CAC(data, N=200).gwet()["est"]
    np.testing.assert_allclose(res.standard_error, ref["se"], atol=1e-5)
    # the correction shrinks the variance by (1 - n/N)
    full = gwet_ac1(data, linearization="gwet")
    np.testing.assert_allclose(
        res.standard_error**2, full.standard_error**2 * (1 - res.n_units / 200), rtol=1e-12
    )


@pytest.mark.parametrize("seed", SEEDS)
def test_percent_agreement_matches_irrcac_pa_and_bp_se(seed: int) -> None:
    # irrCAC has no percent-agreement function; BP = (pa - 1/q)/(1 - 1/q) is linear in pa,
    # so pa's linearization SE is BP's times (1 - 1/q) -- exactly so when every unit has two or
    # more ratings (with single-rated units we linearize pa as a ratio, see its Notes).
    data = random_ratings(seed, p_missing=0.0)
    data.iloc[0, 1] = data.iloc[0, 0]
    data.iloc[1::3, 2] = np.nan
    res = percent_agreement(data)
    ref = CAC(data).bp()["est"]
    q = len(CAC(data).categories)
    np.testing.assert_allclose(res.statistic, ref["pa"], atol=1e-5)
    np.testing.assert_allclose(res.standard_error, ref["se"] * (1 - 1 / q), atol=1e-5)


@pytest.mark.parametrize("seed", SEEDS)
def test_fleiss_matches_statsmodels_without_missing(seed: int) -> None:
    data = random_ratings(seed, n_raters=6, p_missing=0.0).iloc[1:]
    table, _ = inter_rater.aggregate_raters(data.to_numpy())
    np.testing.assert_allclose(
        fleiss_kappa(data).statistic, inter_rater.fleiss_kappa(table), rtol=1e-12
    )


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("level", ["nominal", "ordinal", "interval", "ratio"])
def test_alpha_matches_krippendorff(seed: int, level: str) -> None:
    data = random_ratings(seed, n_raters=5, n_categories=6, p_missing=0.25)
    ours = krippendorff_alpha(data, level=level, n_resamples=100, rng=0)
    ref = krippendorff.alpha(data.to_numpy().T, level_of_measurement=level)
    np.testing.assert_allclose(ours.statistic, ref, rtol=1e-10)


@pytest.mark.parametrize("seed", SEEDS)
def test_alpha_custom_distance_matches_krippendorff_callable(seed: int) -> None:
    data = random_ratings(seed, n_raters=3, n_categories=5)

    def absolute(v1, v2):  # our protocol: (c,1) x (1,c) grid of category values
        return np.abs(v1 - v2)

    def absolute_kd(v1, v2, i1, i2, n_v, dtype=np.float64):  # krippendorff's protocol
        return np.abs(v1 - v2)

    ours = krippendorff_alpha(data, level=absolute, n_resamples=100, rng=0)
    ref = krippendorff.alpha(data.to_numpy().T, level_of_measurement=absolute_kd)
    np.testing.assert_allclose(ours.statistic, ref, rtol=1e-10)
    assert ours.name == "Krippendorff's alpha (absolute)"


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("weights", [None, "linear", "quadratic"])
def test_cohen_matches_sklearn(seed: int, weights: str | None) -> None:
    data = random_ratings(seed, n_raters=2, p_missing=0.1)
    both = data.dropna()
    ours = cohen_kappa(data["r0"], data["r1"], weights=weights)  # drops incomplete pairs itself
    ref = cohen_kappa_score(both["r0"], both["r1"], weights=weights)
    np.testing.assert_allclose(ours.statistic, ref, rtol=1e-10)
    assert ours.n_units == len(both)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("weights", [None, "linear"])
def test_cohen_variance_matches_statsmodels(seed: int, weights: str | None) -> None:
    data = random_ratings(seed, n_raters=2, p_missing=0.0, n_categories=3)
    ours = cohen_kappa(data["r0"], data["r1"], weights=weights, method="fleiss-cohen-everitt")
    table = pd.crosstab(data["r0"], data["r1"]).reindex(
        index=[1.0, 2.0, 3.0], columns=[1.0, 2.0, 3.0], fill_value=0
    )
    ref = inter_rater.cohens_kappa(table.to_numpy(), wt=None if weights is None else "linear")
    np.testing.assert_allclose(ours.statistic, ref.kappa, rtol=1e-10)
    np.testing.assert_allclose(ours.standard_error, ref.std_kappa, rtol=1e-8)
    lo, hi = ours.confidence_interval
    np.testing.assert_allclose(lo, ref.kappa_low, rtol=1e-8)
    np.testing.assert_allclose(hi, min(ref.kappa_upp, 1.0), rtol=1e-8)


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize(
    ("level", "weights"), [("nominal", "identity"), ("interval", "quadratic"), ("ratio", "ratio")]
)
def test_alpha_linearization_matches_irrcac(seed: int, level: str, weights: str) -> None:
    # Gwet's weights 1 - delta/max(delta) reproduce Krippendorff's metrics
    data = random_ratings(seed)
    res = krippendorff_alpha(data, level=level, method="analytic")
    ref = CAC(data, weights=weights).krippendorff()["est"]
    np.testing.assert_allclose(res.statistic, ref["coefficient_value"], atol=1e-5)
    np.testing.assert_allclose(res.standard_error, ref["se"], atol=1e-5)
    np.testing.assert_allclose(res.confidence_interval, ref["confidence_interval"], atol=2e-5)
    assert res.method == "gwet-linearization"


@pytest.mark.parametrize("seed", SEEDS)
@pytest.mark.parametrize("weights", [None, "linear", "quadratic"])
def test_cohen_linearization_matches_irrcac_conger(seed: int, weights: str | None) -> None:
    # With two raters and no missing rating, Conger's kappa is Cohen's kappa, and irrCAC's
    # linearization variance and t interval are Gwet's (2014, ch. 5): our default analytic method.
    data = random_ratings(seed, n_raters=2, p_missing=0.0, n_categories=4).iloc[1:]
    ours = cohen_kappa(data["r0"], data["r1"], weights=weights, labels=[1.0, 2.0, 3.0, 4.0])
    ref = CAC(data, weights=weights or "identity", categories=[1.0, 2.0, 3.0, 4.0]).conger()["est"]
    assert ours.method == "gwet-linearization"
    np.testing.assert_allclose(ours.statistic, ref["coefficient_value"], atol=1e-5)
    np.testing.assert_allclose(ours.standard_error, ref["se"], atol=1e-5)
    np.testing.assert_allclose(ours.confidence_interval, ref["confidence_interval"], atol=2e-5)
