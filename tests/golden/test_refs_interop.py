"""score_against_references, and the round trips: datasets, Parquet, load_traces."""

from __future__ import annotations

import json
from pathlib import Path

import datasets
import pandas as pd
import pyarrow.parquet as pq
import pytest

import evalkit
from evalkit.golden import (
    GoldenError,
    HoldoutSealedError,
    export_golden,
    load_golden,
    score_against_references,
    to_dataset,
    to_parquet,
    to_traces,
    token_f1,
)


def _golden(tmp_path: Path) -> Path:
    root = Path(__file__).resolve().parents[2] / "data"
    tr = evalkit.load_traces(root / "traces")
    human = pd.read_csv(root / "labels/human.csv")
    ids = human["trace_id"].drop_duplicates().iloc[:40]
    refs = pd.DataFrame({
        "trace_id": list(ids) * 2,
        "text": [f"Best answer {i}." for i in range(40)] + [f"Okay answer {i}" for i in range(40)],
        "quality": ["high"] * 40 + ["borderline"] * 40,
        "author": ["lead"] * 80,
    })
    export_golden(tr, human, tmp_path / "g", references=refs)
    return tmp_path / "g"


def test_token_f1_hand_examples() -> None:
    # "the cat sat" vs "cat sat down": normalised tokens [cat, sat] vs [cat, sat, down];
    # overlap 2, P = 2/2, R = 2/3, F1 = 2*1*(2/3)/(1+2/3) = 0.8
    assert token_f1("the cat sat", "cat sat down") == pytest.approx(0.8)
    assert token_f1("", "") == 1.0 and token_f1("a", "b") == 0.0  # "a" is an article: [] vs [b]


def test_high_rewarded_more_than_borderline() -> None:
    g = pd.DataFrame({"case_id": ["c1", "c2", "c3"], "trace_id": ["t1", "t2", "t3"],
                      "references": [[{"text": "A", "quality": "high", "author": None},
                                      {"text": "B", "quality": "borderline", "author": None}]] * 3})
    res = score_against_references({"c1": "A", "c2": "B", "c3": "C"}, g, scorer="exact")
    # credits: high match 1.0, borderline 0.5, none 0.0 -> mean 0.5
    assert res.frame["credit"].tolist() == [1.0, 0.5, 0.0]
    assert res.statistic == pytest.approx(0.5)
    assert (res.share_high, res.share_borderline_only, res.share_none) == pytest.approx(
        (1 / 3, 1 / 3, 1 / 3))
    # scipy's t interval of [1, .5, 0]: mean .5, sd .5, sem .5/sqrt(3), t(.975, 2) = 4.303
    lo, hi = res.confidence_interval
    assert hi == 1.0 and lo == 0.0  # clipped to [0, 1]
    judged = score_against_references({"t1": "a"}, g, scorer=lambda o, r: float(o.upper() == r))
    assert judged.n_cases == 1 and judged.statistic == 1.0
    assert "<b>Reference score" in judged._repr_html_()


@pytest.mark.parametrize(("kwargs", "match"), [
    ({"scorer": "bleu"}, "`scorer` must be one of"),
    ({"weights": {"borderline": 1.0}}, "borderline < high"),
    ({"scorer": lambda o, r: 2.0}, r"returned 2.0 .* must be in \[0, 1\]"),
])
def test_reference_errors(kwargs: dict[str, object], match: str) -> None:
    g = pd.DataFrame({"case_id": ["c1"], "trace_id": ["t1"],
                      "references": [[{"text": "A", "quality": "high", "author": None}]]})
    with pytest.raises(GoldenError, match=match):
        score_against_references({"c1": "A"}, g, **kwargs)  # type: ignore[arg-type]
    with pytest.raises(GoldenError, match="nothing to score"):
        score_against_references({"zz": "A"}, g)


def test_references_from_golden_folder(tmp_path: Path) -> None:
    g = _golden(tmp_path)
    active = load_golden(g)
    with_refs = active[active["references"].map(len) > 0]
    assert {r["quality"] for refs in with_refs["references"] for r in refs} == {"high",
                                                                              "borderline"}
    outs = {r.case_id: r.references[0]["text"] for r in with_refs.itertuples()}
    res = score_against_references(outs, g, scorer="normalized")
    assert res.share_high == 1.0 and res.n_cases == len(with_refs)


def test_datasets_round_trip(tmp_path: Path) -> None:
    g = _golden(tmp_path)
    dd = to_dataset(g, unseal="round-trip test")
    assert set(dd) == {"active", "holdout"}
    assert dd["active"].features["severity"].dtype == "int32"
    assert isinstance(dd["active"].features["references"], datasets.List)
    dd.save_to_disk(tmp_path / "ds")
    back = datasets.load_from_disk(str(tmp_path / "ds"))
    for split in ("active", "holdout"):
        want = load_golden(g, split, unseal="compare")  # type: ignore[arg-type]
        got = back[split].to_pandas()
        assert got["case_id"].tolist() == want["case_id"].tolist()
        assert got["expected_verdict"].tolist() == want["expected_verdict"].tolist()
        for a, b in zip(back[split].to_list(), want.to_dict("records"), strict=True):
            assert json.dumps(a, sort_keys=True, default=str) == json.dumps(
                b, sort_keys=True, default=str)
    assert set(to_dataset(g)) == {"active"}  # sealed by default


def test_parquet_and_traces(tmp_path: Path) -> None:
    g = _golden(tmp_path)
    out = to_parquet(g, tmp_path / "g.parquet", unseal="archive")
    table = pq.read_table(out)
    assert table.num_rows == 240
    assert set(table.column("split").to_pylist()) == {"active", "holdout"}
    frame = to_traces(g)
    active = load_golden(g)
    assert list(frame.columns) == list(evalkit.CANONICAL_COLUMNS)
    assert frame["trace_id"].tolist() == active["trace_id"].tolist()
    assert frame["output"].tolist() == active["output"].tolist()
    assert frame["metadata"].iloc[0]["case_id"] == active["case_id"].iloc[0]
    assert [m["content"] for m in frame["messages"].iloc[0]] == [
        m["content"] for m in active["messages"].iloc[0]]
    with pytest.raises(HoldoutSealedError):
        to_traces(g, "holdout")
