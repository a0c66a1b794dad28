"""agreement_report, pairwise_agreement and their plotly figures."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from evalkit.plots.agreement import agreement_heatmap, forest_plot
from evalkit.stats.agreement import (
    agreement_report,
    cohen_kappa,
    fleiss_kappa,
    gwet_ac1,
    krippendorff_alpha,
    pairwise_agreement,
    to_wide,
)

MODES = ["hallucination", "ignored_context", "too_long"]


def synthetic_labels(seed: int = 0, n: int = 150) -> pd.DataFrame:
    """Three annotators; 'carol' copies the truth only 60% of the time (the outlier)."""
    rng = np.random.default_rng(seed)
    truth_fail = rng.random(n) < 0.35
    truth_mode = rng.integers(0, len(MODES), size=n)
    rows = []
    for ann, acc in (("alice", 0.93), ("bob", 0.9), ("carol", 0.6)):
        for i in range(n):
            fail = truth_fail[i] if rng.random() < acc else not truth_fail[i]
            mode = MODES[truth_mode[i] if rng.random() < acc else rng.integers(0, len(MODES))]
            rows.append(
                {
                    "trace_id": f"t{i:03d}",
                    "annotator": ann,
                    "verdict": "fail" if fail else "pass",
                    "failure_modes": mode if fail else np.nan,
                    "segment": "billing" if i % 2 else "setup",
                }
            )
    return pd.DataFrame(rows)


def test_report_frame_is_tidy_and_matches_direct_calls() -> None:
    labels = synthetic_labels()
    rep = agreement_report(labels, rng=0)
    frame = rep.frame
    assert list(frame.columns) == [
        "field",
        "kind",
        "coefficient",
        "statistic",
        "ci_low",
        "ci_high",
        "se",
        "n_units",
        "n_raters",
        "majority_share",
        "method",
        "note",
    ]
    fields = list(dict.fromkeys(frame["field"]))
    assert fields == ["verdict"] + [f"failure_mode: {m}" for m in MODES]
    assert set(frame["coefficient"]) == {
        "percent_agreement",
        "fleiss_kappa",
        "gwet_ac1",
        "krippendorff_alpha",
    }
    wide = to_wide(labels, unit="trace_id", rater="annotator", value="verdict")
    row = frame[(frame.field == "verdict") & (frame.coefficient == "fleiss_kappa")].iloc[0]
    direct = fleiss_kappa(wide)
    assert row.statistic == pytest.approx(direct.statistic)
    assert (row.ci_low, row.ci_high) == pytest.approx(tuple(direct.confidence_interval))
    assert row.n_units == 150 and row.n_raters == 3
    # a failure-mode field is "did this annotator flag this mode on this trace"
    flags = labels.assign(
        flag=labels["failure_modes"].fillna("").str.split(";").map(lambda s: "too_long" in s)
    )
    wide_flag = to_wide(flags, unit="trace_id", rater="annotator", value="flag")
    row = frame[(frame.field == "failure_mode: too_long") & (frame.coefficient == "gwet_ac1")]
    assert row.statistic.iloc[0] == pytest.approx(gwet_ac1(wide_flag).statistic)
    share = flags["flag"].value_counts(normalize=True).max()
    assert row.majority_share.iloc[0] == pytest.approx(share)


def test_report_by_group_and_seeded() -> None:
    labels = synthetic_labels(1)
    a = agreement_report(labels, by="segment", rng=5, coefficients=["krippendorff_alpha"])
    b = agreement_report(labels, by="segment", rng=5, coefficients=["krippendorff_alpha"])
    pd.testing.assert_frame_equal(a.frame, b.frame)
    assert a.frame.columns[0] == "segment"
    assert set(a.frame["segment"]) == {"billing", "setup"}
    part = labels[labels.segment == "setup"]
    wide = to_wide(part, unit="trace_id", rater="annotator", value="verdict")
    got = a.frame[(a.frame.segment == "setup") & (a.frame.field == "verdict")].statistic.iloc[0]
    assert got == pytest.approx(krippendorff_alpha(wide, n_resamples=10, rng=0).statistic)


def test_report_keeps_undefined_fields_with_a_note() -> None:
    labels = synthetic_labels(2)
    labels.loc[labels.index[0], "failure_modes"] = "rare_mode"  # flagged once, by one rater
    labels["verdict"] = "pass"  # a single category: kappa undefined
    rep = agreement_report(labels, rng=0, coefficients=["fleiss_kappa", "percent_agreement"])
    row = rep.frame[(rep.frame.field == "verdict") & (rep.frame.coefficient == "fleiss_kappa")]
    assert np.isnan(row.statistic.iloc[0])
    assert "undefined" in row.note.iloc[0]
    pa = rep.frame[(rep.frame.field == "verdict") & (rep.frame.coefficient == "percent_agreement")]
    # defined, but every rater says pass: a DegenerateDataWarning becomes the note
    assert pa.statistic.iloc[0] == 1.0
    assert pa.note.iloc[0].startswith("Percent agreement: no disagreement at all among 150 units")
    assert "failure_mode: rare_mode" in set(rep.frame.field)


def test_pairwise_finds_the_outlier_and_matches_cohen() -> None:
    labels = synthetic_labels(3)
    wide = to_wide(labels, unit="trace_id", rater="annotator", value="verdict")
    pw = pairwise_agreement(wide)
    assert pw.outlier == "carol"
    assert pw.mean_by_rater.index[0] == "carol"
    m = pw.matrix
    assert np.allclose(m.to_numpy(), m.to_numpy().T, equal_nan=True)
    assert np.isnan(np.diag(m.to_numpy())).all()
    direct = cohen_kappa(wide["alice"], wide["bob"])
    assert m.loc["alice", "bob"] == pytest.approx(direct.statistic)
    pair = pw.pairs[(pw.pairs.rater_a == "alice") & (pw.pairs.rater_b == "bob")].iloc[0]
    assert (pair.ci_low, pair.ci_high) == pytest.approx(tuple(direct.confidence_interval))
    assert "carol" in pw._repr_html_()


@pytest.mark.parametrize("coefficient", ["gwet_ac1", "krippendorff_alpha", "percent_agreement"])
def test_pairwise_other_coefficients(coefficient: str) -> None:
    wide = to_wide(synthetic_labels(4), unit="trace_id", rater="annotator", value="verdict")
    pw = pairwise_agreement(wide, coefficient=coefficient, n_resamples=200, rng=0)
    assert pw.coefficient == coefficient
    assert pw.outlier == "carol"


def test_forest_plot_draws_every_row() -> None:
    rep = agreement_report(synthetic_labels(), rng=0, n_resamples=200)
    fig = rep.plot()
    assert isinstance(fig, go.Figure)
    assert [t.name for t in fig.data] == list(dict.fromkeys(rep.frame.coefficient))
    xs = np.concatenate([t.x for t in fig.data])
    assert np.allclose(np.sort(xs), np.sort(rep.frame.statistic.to_numpy()))
    t0 = fig.data[0]
    sub = rep.frame[rep.frame.coefficient == t0.name]
    assert np.allclose(t0.error_x.array, sub.ci_high - sub.statistic)
    assert list(fig.layout.yaxis.ticktext) == list(dict.fromkeys(rep.frame.field))
    assert fig.layout.title.text.startswith("Inter-annotator agreement")


def test_forest_plot_facets_by_group() -> None:
    rep = agreement_report(
        synthetic_labels(), by="segment", rng=0, coefficients=["gwet_ac1", "fleiss_kappa"]
    )
    fig = forest_plot(rep, facet_col="segment", title="by segment")
    assert len(fig.data) == 4  # 2 coefficients x 2 panels
    assert fig.layout.xaxis2.title.text == "segment = setup"


def test_heatmap_shows_the_matrix() -> None:
    wide = to_wide(synthetic_labels(), unit="trace_id", rater="annotator", value="verdict")
    pw = pairwise_agreement(wide)
    fig = pw.plot()
    assert isinstance(fig, go.Figure)
    np.testing.assert_allclose(np.asarray(fig.data[0].z, dtype=float), pw.matrix.to_numpy())
    assert "carol" in fig.layout.title.text
    assert agreement_heatmap(pw, title="t").layout.title.text == "t"


def test_sample_data_outlier_is_carol(data_dir) -> None:
    # data/README.md: ann_carol is the noticeably less consistent annotator
    labels = pd.read_csv(data_dir / "labels" / "human.csv")
    wide = to_wide(labels, unit="trace_id", rater="annotator", value="verdict")
    assert pairwise_agreement(wide).outlier == "ann_carol"
    rep = agreement_report(labels, rng=0, n_resamples=300)
    verdict = rep.frame[rep.frame.field == "verdict"].set_index("coefficient")
    lo, hi = verdict.loc["fleiss_kappa", ["ci_low", "ci_high"]]
    assert 0 < lo < verdict.loc["fleiss_kappa", "statistic"] < hi < 1


def test_pairwise_gaps_and_undefined_pairs_are_nan_with_a_note() -> None:
    # c never rates a unit that a rates
    wide = pd.DataFrame(
        {
            "a": ["x", "y", "x", None, None],
            "b": ["x", "y", "y", "x", "x"],
            "c": [None, None, None, "x", "y"],
            "d": ["x", "x", "x", "x", "x"],
        }
    )
    pw = pairwise_agreement(wide)
    pairs = pw.pairs.set_index(["rater_a", "rater_b"])
    assert np.isnan(pw.matrix.loc["a", "c"])
    assert pairs.loc[("a", "c"), "note"] == "no unit rated by both raters"
    assert pairs.loc[("a", "c"), "n_units"] == 0
    # a vs d on units 0-2: (x,x), (y,x), (x,x): p_o = 2/3; margins a (2/3, 1/3), d (1, 0)
    # -> p_e = 2/3 -> kappa = 0, defined although d uses a single label
    assert pairs.loc[("a", "d"), "statistic"] == pytest.approx(0.0, abs=1e-12)
    assert pairs.loc[("a", "d"), "note"] == (  # a named DegenerateDataWarning, kept as a note
        "Cohen's kappa: only 3 units (fewer than 10): the gwet-linearization interval is "
        "unreliable at this size.")
    assert pairs.loc[("a", "b"), "statistic"] == pytest.approx(
        cohen_kappa(["x", "y", "x"], ["x", "y", "y"]).statistic
    )


def test_report_method_applies_to_every_coefficient() -> None:
    labels = synthetic_labels(5)
    rep = agreement_report(labels, method="bootstrap", n_resamples=300, rng=0)
    assert set(rep.frame.method) == {"bootstrap-bca"}
    rep = agreement_report(labels, method="analytic")
    assert set(rep.frame.method) == {"gwet-linearization"}
    wide = to_wide(labels, unit="trace_id", rater="annotator", value="verdict")
    row = rep.frame[
        (rep.frame.field == "verdict") & (rep.frame.coefficient == "krippendorff_alpha")
    ].iloc[0]
    direct = krippendorff_alpha(wide, method="analytic")
    assert (row.ci_low, row.ci_high) == pytest.approx(tuple(direct.confidence_interval))
