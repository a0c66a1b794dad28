"""Fuzz targets for the public entry points (issue 12): only typed errors may escape.

* ``load_traces`` on random bytes and on mutated real fixtures, in every suffix and both error
  modes: ``errors="raise"`` raises only :class:`evalkit.TraceFormatError`; ``errors="collect"``
  never raises.
* the tabular reader on random CSV text (quotes, delimiters, numbers, surrogates).
* ``read_labels`` on random label files: only :class:`evalkit.labels.LabelFileError`.
* statistics (``fleiss_kappa``, ``calibrate``) on random frames: only evalkit errors
  (:class:`evalkit.stats.StatisticsInputError` is also a ``ValueError``), nothing else.

The CLI fuzz targets are in tests/test_cli_hostile.py; the store's in
tests/labels/test_store_hostile.py.
"""

from __future__ import annotations

import io
import string
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from evalkit.errors import EvalkitError, TraceFormatError
from evalkit.labels import LabelFileError, read_labels
from evalkit.traces import load_traces
from evalkit.traces.schema import COLUMNS

FIXTURES = Path(__file__).parent / "fixtures" / "traces"
SEEDS = sorted(p for p in FIXTURES.rglob("*") if p.is_file() and p.stat().st_size < 200_000)
SUFFIXES = [".jsonl", ".json", ".ndjson", ".csv", ".tsv", ".parquet", ".eval", ".txt", ""]
SETTINGS = settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def _check_load(path: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            frame = load_traces(path)
        except TraceFormatError as exc:
            assert exc.file == str(path)
        else:
            assert list(frame.columns) == COLUMNS
        frame, problems = load_traces(path, errors="collect")
    assert list(frame.columns) == COLUMNS
    assert all(p.file == str(path) for p in problems)


@SETTINGS
@given(data=st.binary(max_size=400), suffix=st.sampled_from(SUFFIXES))
def test_load_traces_random_bytes_every_suffix(tmp_path: Path, data: bytes, suffix: str) -> None:
    path = tmp_path / f"t{suffix}"
    path.write_bytes(data)
    _check_load(path)


@st.composite
def _mutated(draw: Any) -> tuple[bytes, str]:
    seed = draw(st.sampled_from(SEEDS))
    data = bytearray(seed.read_bytes())
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["cut", "insert", "flip", "splice"]))
        at = draw(st.integers(0, max(len(data) - 1, 0)))
        if op == "cut":
            del data[at:]
        elif op == "insert":
            data[at:at] = draw(
                st.sampled_from(
                    [b'"', b"\\ud800", b"9" * 5000, b"1e999", b"-1", b"NaN", b"\x00", b"\xff\xfe",
                     b'{"a":1,"a":2}', b"[" * 3000, b"\r", b"\n\n", b",", b'\\"']
                )
            )  # fmt: skip
        elif op == "flip" and data:
            data[at] ^= draw(st.integers(1, 255))
        elif op == "splice":
            data[at:at] = draw(st.binary(max_size=30))
    return bytes(data), seed.suffix


@SETTINGS
@given(case=_mutated())
def test_load_traces_mutated_fixtures(tmp_path: Path, case: tuple[bytes, str]) -> None:
    data, suffix = case
    path = tmp_path / f"m{suffix}"
    path.write_bytes(data)
    _check_load(path)


_CSV_CELLS = st.sampled_from(
    ['"', '""', '"a,b"', "\n", "\r\n", "9" * 5000, "1e999", "-1", "nan", "inf", "\\ud800",
     '[{"role": "user"}]', '{"k": 1, "k": 2}', "=HYPERLINK()", "\t", ";"]
) | st.text(string.printable, max_size=8)  # fmt: skip


@SETTINGS
@given(
    header=st.lists(
        st.sampled_from(
            ["trace_id", "output", "input", "messages", "metadata", "latency_ms", "input_tokens",
             "cost_usd", "timestamp", "segment", "x"]
        ),
        min_size=1, max_size=5, unique=True,
    ),
    rows=st.lists(st.lists(_CSV_CELLS, min_size=1, max_size=6), max_size=5),
    quote_all=st.booleans(),
)  # fmt: skip
def test_tabular_reader_random_csv(
    tmp_path: Path, header: list[str], rows: list[list[str]], quote_all: bool
) -> None:
    buf = io.StringIO()
    buf.write(",".join(header) + "\n")
    for row in rows:
        cells = [f'"{c}"' if quote_all else c for c in row]
        buf.write(",".join(cells) + "\n")
    path = tmp_path / "t.csv"
    path.write_text(buf.getvalue(), encoding="utf-8", errors="surrogatepass")
    _check_load(path)


_FRAME_CELLS = st.sampled_from(
    [None, np.nan, float("inf"), -1, 2**63, 2**64, "\ud800", "", '[{"role": 1}]',
     '{"a": 1, "a": 2}', True, 1.5, "2024-01-01", "x", b"\xff", ["a"], {"k": "v"}]
)  # fmt: skip


@SETTINGS
@given(
    columns=st.lists(
        st.sampled_from(
            ["trace_id", "output", "input", "messages", "tool_calls", "retrieved", "metadata",
             "latency_ms", "input_tokens", "output_tokens", "cost_usd", "timestamp", "segment", "x"]
        ),
        min_size=1, max_size=5, unique=True,
    ),
    n=st.integers(0, 4),
    data=st.data(),
)  # fmt: skip
def test_load_traces_random_dataframes(columns: list[str], n: int, data: Any) -> None:
    frame = pd.DataFrame(
        {c: pd.Series([data.draw(_FRAME_CELLS) for _ in range(n)], dtype=object) for c in columns}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            out = load_traces(frame)
        except TraceFormatError:
            pass
        else:
            assert list(out.columns) == COLUMNS
        out, problems = load_traces(frame, errors="collect")
    assert list(out.columns) == COLUMNS
    assert len(out) <= n
    assert not n or len(out) or problems  # rows in: rows out, or problems saying why not


@SETTINGS
@given(
    text=st.lists(
        st.sampled_from(
            [*"tracevdi_,\n\"'01 pasfl", "pass", "fail", "trace_id", "verdict", "annotator", "\x00"]
        ),
        max_size=40,
    ).map("".join),
    suffix=st.sampled_from([".csv", ".jsonl", ".parquet"]),
)
def test_read_labels_random_files(tmp_path: Path, text: str, suffix: str) -> None:
    path = tmp_path / f"labels{suffix}"
    path.write_text(text, encoding="utf-8")
    try:
        read_labels(path)
    except LabelFileError as exc:
        assert str(path) in str(exc) or path.name in str(exc)


def _typed_or_validation(exc: BaseException) -> bool:
    """An evalkit error whose message names what is wrong."""
    return isinstance(exc, EvalkitError) and bool(str(exc))


_RATING = st.sampled_from([np.nan, None, 0, 1, 2, "pass", "fail", "", -1, 1e308, True])


@settings(max_examples=150, deadline=None)
@given(n_units=st.integers(0, 6), n_raters=st.integers(0, 4), data=st.data())
def test_fleiss_kappa_random_frames(n_units: int, n_raters: int, data: Any) -> None:
    from evalkit.stats.agreement import fleiss_kappa

    values = [[data.draw(_RATING) for _ in range(n_raters)] for _ in range(n_units)]
    frame = pd.DataFrame(values, columns=[f"r{i}" for i in range(n_raters)], dtype=object)
    method = data.draw(st.sampled_from(["analytic", "bootstrap"]))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = fleiss_kappa(frame, method=method, n_resamples=30, rng=0)
    except Exception as exc:  # only typed errors may escape
        assert _typed_or_validation(exc), repr(exc)
    else:
        # kappa is at most 1 (perfect agreement); it has no lower bound of -1 (Fleiss 1971)
        assert np.isnan(res.statistic) or res.statistic <= 1.0 + 1e-9


@settings(max_examples=150, deadline=None)
@given(
    n=st.integers(0, 8),
    data=st.data(),
    threshold=st.none() | st.floats(-2, 2) | st.just(float("inf")),
    positive=st.sampled_from(["pass", "PASS", 1, True]),
)
def test_calibrate_random_frames(n: int, data: Any, threshold: Any, positive: Any) -> None:
    from evalkit.stats.calibration import calibrate

    ids = [f"t{i}" for i in range(n)]
    human = pd.DataFrame({"trace_id": ids, "verdict": [data.draw(_RATING) for _ in ids]})
    judge_cells = st.floats(-1, 1) | st.just(np.nan) if threshold is not None else _RATING
    judge = pd.DataFrame(
        {
            "trace_id": ids,
            "verdict": [data.draw(_RATING) for _ in ids],
            "score": [data.draw(judge_cells) for _ in ids],
        }
    )
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            res = calibrate(human, judge, positive=positive, threshold=threshold)
    except Exception as exc:  # only typed errors may escape
        assert _typed_or_validation(exc), repr(exc)
    else:
        assert res.n == res.tp + res.fn + res.fp + res.tn


@pytest.mark.parametrize("seed", SEEDS[:3], ids=lambda p: p.name)
def test_seeds_exist(seed: Path) -> None:
    assert seed.stat().st_size > 0  # the mutation fuzz has real fixtures to start from
