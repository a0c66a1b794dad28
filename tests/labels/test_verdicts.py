"""One verdict vocabulary for the API, the store and the CLI (issue 15 item 9, issue 12 item 4)."""

from __future__ import annotations

import contextlib
import warnings
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from evalkit.cli import main
from evalkit.labels.verdicts import (
    VerdictError,
    is_vocabulary,
    normalize_verdict,
    normalize_verdicts,
)
from evalkit.stats.calibration import calibrate
from evalkit.store import InvalidLabelError, LabelStore


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("pass", "pass"), ("PASS", "pass"), (" Pass ", "pass"), ("true", "pass"), ("YES", "pass"),
        ("1", "pass"), (True, "pass"), (1, "pass"), (1.0, "pass"),
        ("fail", "fail"), ("FAIL", "fail"), ("False", "fail"), ("no", "fail"), ("0", "fail"),
        (False, "fail"), (0, "fail"),
    ],
)  # fmt: skip
def test_vocabulary(value: object, expected: str) -> None:
    assert normalize_verdict(value) == expected


def test_positive_overrides_and_defer() -> None:
    assert normalize_verdicts(["Good", "bad", "good "], positive="good") == ["pass", "fail", "pass"]
    assert normalize_verdict("DEFER", allow_defer=True) == "defer"
    with pytest.raises(VerdictError, match=r"verdict 'defer' is not in the verdict vocabulary"):
        normalize_verdict("defer")
    with pytest.raises(VerdictError, match=r"pass `positive=` naming the value that means pass"):
        normalize_verdicts(["ok", "ok", "meh"])
    with pytest.raises(VerdictError, match=r"3 distinct values"):
        normalize_verdicts(["good", "bad", "ugly"], positive="good")
    assert is_vocabulary(["PASS", 0, True]) and not is_vocabulary(["pass", 0.5])


@given(st.one_of(st.text(max_size=8), st.integers(), st.floats(), st.booleans(), st.none()))
def test_fuzz_only_typed_errors(value: object) -> None:
    with contextlib.suppress(VerdictError):
        assert normalize_verdict(value, allow_defer=True) in ("pass", "fail", "defer")


def test_store_accepts_the_vocabulary(tmp_path: Path) -> None:
    with LabelStore(tmp_path / "s.sqlite") as store:
        store.record("t1", annotator="a", field="verdict", value="PASS")
        store.record("t2", annotator="a", field="verdict", value="False")
        store.record("t3", annotator="a", field="verdict", value=" Defer")
        df = store.labels()
        assert dict(zip(df["trace_id"], df["value"], strict=True)) == {
            "t1": "pass", "t2": "fail", "t3": "defer"
        }  # fmt: skip
        with pytest.raises(InvalidLabelError, match="must be one of 'pass', 'fail', 'defer'"):
            store.record("t4", annotator="a", field="verdict", value="maybe")


def test_calibrate_pass_and_PASS_is_one_class() -> None:
    # Issue 12.4: every human verdict means pass. Judge: 3 pass, 1 fail, so by hand
    # TP = 3, FN = 1 -> TPR = 3/4; there are no human fails, so TNR is undefined (nan), not 0.
    human = pd.DataFrame({"trace_id": list("abcd"), "verdict": ["pass", "PASS", "pass ", "Pass"]})
    judge = pd.DataFrame({"trace_id": list("abcd"), "verdict": ["pass", "PASS", "fail", "pass"]})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cal = calibrate(human, judge)
    assert (cal.positive, cal.negative) == ("pass", "fail")
    assert cal.n_positive == 4 and cal.n_negative == 0
    assert cal.tpr.statistic == pytest.approx(0.75)
    assert pd.isna(cal.tnr.statistic)


def test_calibrate_error_hint_names_positive() -> None:
    human = pd.DataFrame({"trace_id": list("abc"), "verdict": ["good", "bad", "meh"]})
    with pytest.raises(ValueError, match=r"Pass `positive=` naming the value that means pass"):
        calibrate(human, human)


def test_cli_verdict_column_and_upper_case(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    ids = [f"t{i}" for i in range(10)]
    human = ["PASS"] * 5 + ["FAIL"] * 5
    pd.DataFrame({"trace_id": ids, "label": human}).to_csv(tmp_path / "h.csv", index=False)
    judge = ["true"] * 5 + ["false"] * 5  # agrees on every trace
    pd.DataFrame({"trace_id": ids, "label": judge}).to_csv(tmp_path / "j.csv", index=False)
    args = [str(tmp_path / "h.csv"), str(tmp_path / "j.csv"), "--bound", "point"]
    assert main(["calibrate", *args]) == 2  # no 'verdict' column
    assert "verdict" in capsys.readouterr().err
    assert main(["calibrate", *args, "--verdict-column", "label"]) == 0
    out = capsys.readouterr().out
    assert "5 human pass" in out
