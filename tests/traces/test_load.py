"""load_traces core: sources, detection, error routing, ids, schema (readers: own tests)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from evalkit.errors import TraceError, TraceFormatError
from evalkit.traces import load_traces
from evalkit.traces._load import FORMAT_NAMES, detect_format
from evalkit.traces.schema import COLUMNS, DTYPES

FIX = Path(__file__).resolve().parents[1] / "fixtures" / "traces"


def _chat(user: str, answer: str) -> str:
    return json.dumps(
        {"messages": [{"role": "user", "content": user}, {"role": "assistant", "content": answer}]}
    )


def _assert_canonical(df: pd.DataFrame) -> None:
    assert list(df.columns) == COLUMNS
    for col in COLUMNS:
        assert df[col].dtype == DTYPES[col] or (
            DTYPES[col] is object and df[col].dtype == object
        ), col


# ---------------------------------------------------------------------------- argument checks


def test_unknown_format_lists_allowed_names() -> None:
    with pytest.raises(
        ValueError, match=r"`format` must be one of 'auto', 'openinference', .*'hf'; got 'opneai'"
    ):
        load_traces(FIX / "openai" / "finetune.jsonl", format="opneai")


def test_unknown_errors_mode() -> None:
    with pytest.raises(
        ValueError, match=r"`errors` must be one of 'raise', 'collect', 'warn'; got 'ignore'"
    ):
        load_traces(FIX / "openai" / "finetune.jsonl", errors="ignore")  # type: ignore[call-overload]


def test_missing_path_and_empty_glob(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="does not exist"):
        load_traces(tmp_path / "nope.jsonl")
    with pytest.raises(FileNotFoundError, match="matched no files"):
        load_traces(str(tmp_path / "*.jsonl"))


def test_unused_option_is_an_error() -> None:
    with pytest.raises(TypeError, match="option\\(s\\) no reader accepts: colums"):
        load_traces(FIX / "openai" / "finetune.jsonl", colums={"a": "b"})


def test_bad_source_type() -> None:
    with pytest.raises(TypeError, match=r"`source` must be a path.*got int"):
        load_traces(42)


# ------------------------------------------------------------------------------------ sources


def test_single_file_list_glob_and_folder_agree(tmp_path: Path) -> None:
    for name in ("finetune.jsonl", "log_pairs.jsonl"):
        shutil.copy(FIX / "openai" / name, tmp_path / name)
    one = load_traces(tmp_path / "finetune.jsonl")
    assert len(one) == 3
    both_list = load_traces([tmp_path / "finetune.jsonl", str(tmp_path / "log_pairs.jsonl")])
    both_glob = load_traces(str(tmp_path / "*.jsonl"))
    both_dir = load_traces(tmp_path)
    assert len(both_list) == 6
    pd.testing.assert_frame_equal(both_list, both_glob)
    pd.testing.assert_frame_equal(both_list, both_dir)
    _assert_canonical(both_dir)
    # sorted file order: finetune rows first
    assert [s["file"].endswith("finetune.jsonl") for s in both_dir["source"]][:3] == [True] * 3


def test_folder_is_recursive_and_skips_hidden_files(tmp_path: Path) -> None:
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "a.jsonl").write_text(_chat("q1", "a1") + "\n")
    (tmp_path / ".hidden.jsonl").write_text("garbage")
    (tmp_path / ".cache").mkdir()
    (tmp_path / ".cache" / "x.jsonl").write_text("garbage")
    df = load_traces(tmp_path)
    assert df["input"].tolist() == ["q1"]


def test_unrecognised_file_in_folder_is_reported_not_dropped(tmp_path: Path) -> None:
    (tmp_path / "a.jsonl").write_text(_chat("q1", "a1") + "\n")
    (tmp_path / "notes.txt").write_text("just some notes\n")
    with pytest.raises(TraceFormatError, match=r"notes\.txt: unrecognised trace file") as info:
        load_traces(tmp_path)
    assert info.value.file == str(tmp_path / "notes.txt")
    df, errors = load_traces(tmp_path, errors="collect")
    assert len(df) == 1
    assert [type(e) for e in errors] == [TraceError]
    assert errors[0].file == str(tmp_path / "notes.txt")


def test_forced_format_applies_to_every_file(tmp_path: Path) -> None:
    p = tmp_path / "chat.log"  # a suffix auto-detection does not claim
    p.write_text(_chat("q", "a") + "\n")
    assert detect_format(p) is None
    assert load_traces(p, format="openai")["output"].tolist() == ["a"]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (FIX / "openai" / "finetune.jsonl", "openai"),
        (FIX / "openai" / "batch_input.jsonl", "openai"),
        (FIX / "openai" / "batch_output.jsonl", "openai"),
        (FIX / "openai" / "log_pairs.jsonl", "openai"),
        (FIX / "otel" / "genai_current.json", "otel_genai"),
        (FIX / "otel" / "genai_legacy.json", "otel_genai"),
        (FIX / "otel" / "genai_lines.jsonl", "otel_genai"),
        (FIX / "openinference" / "phoenix_otlp.json", "openinference"),
    ],
)
def test_detection(path: Path, expected: str) -> None:
    assert detect_format(path) == expected
    assert load_traces(path)["source"].map(lambda s: s["format"]).eq(expected).all()


def test_registry_names_every_format() -> None:
    assert set(FORMAT_NAMES) == {
        "openai",
        "otel_genai",
        "openinference",
        "langfuse",
        "langsmith",
        "inspect",
        "json",
        "csv",
        "parquet",
        "hf",
    }


# ------------------------------------------------------------------------------- error paths


def test_empty_file_names_the_file(tmp_path: Path) -> None:
    p = tmp_path / "empty.jsonl"
    p.write_bytes(b"")
    with pytest.raises(TraceFormatError, match=r"empty\.jsonl: the file is empty") as info:
        load_traces(p)
    assert info.value.file == str(p)
    (tmp_path / "blank.jsonl").write_text("\n  \n")
    df, errors = load_traces(tmp_path, errors="collect")
    assert df.empty and list(df.columns) == COLUMNS
    assert sorted(Path(e.file).name for e in errors) == ["blank.jsonl", "empty.jsonl"]


def test_bad_utf8_names_line_and_byte_offset(tmp_path: Path) -> None:
    good = (_chat("q1", "a1") + "\n").encode()
    bad = _chat("q2", "XX").encode().replace(b"XX", b"\xff\xfe")
    p = tmp_path / "bad.jsonl"
    p.write_bytes(good + bad + b"\n")
    offset = len(good) + bad.index(b"\xff")
    with pytest.raises(
        TraceFormatError, match=rf"bad\.jsonl:2 \[openai\]: invalid UTF-8 at byte offset {offset}"
    ) as info:
        load_traces(p)
    assert info.value.line == 2
    df, errors = load_traces(p, errors="collect")
    assert df["input"].tolist() == ["q1"]
    assert errors[0].line == 2 and f"byte offset {offset}" in errors[0].message


def test_bad_utf8_in_json_document(tmp_path: Path) -> None:
    text = (FIX / "otel" / "genai_legacy.json").read_bytes()
    pos = text.index(b"What regions")
    p = tmp_path / "otel.json"
    p.write_bytes(text[:pos] + b"\xc3\x28" + text[pos:])
    line = text.count(b"\n", 0, pos) + 1
    with pytest.raises(
        TraceFormatError,
        match=rf"otel\.json:{line} \[otel_genai\]: invalid UTF-8 at byte offset {pos}",
    ):
        load_traces(p)


def test_truncated_json_names_the_line() -> None:
    path = FIX / "openai" / "malformed_truncated.jsonl"
    with pytest.raises(
        TraceFormatError,
        match=r"malformed_truncated\.jsonl:2 \[openai\]: invalid JSON \(the JSON is truncated\)",
    ):
        load_traces(path)
    df, errors = load_traces(path, errors="collect")
    assert len(df) == 1 and errors[0].line == 2


def test_truncated_json_document_names_a_line() -> None:
    path = FIX / "otel" / "malformed_truncated.json"
    n_lines = path.read_text().count("\n") + 1
    with pytest.raises(
        TraceFormatError,
        match=rf"malformed_truncated\.json:{n_lines} \[otel_genai\]: "
        r"invalid JSON \(the JSON is truncated\)",
    ):
        load_traces(path)


def test_duplicate_ids_name_both_occurrences() -> None:
    path = FIX / "openai" / "duplicate_ids.jsonl"
    with pytest.raises(
        TraceFormatError,
        match=r"duplicate_ids\.jsonl:3, field 'trace_id' \[openai\]: duplicate trace_id "
        r"'chatcmpl-D1': first seen at .*duplicate_ids\.jsonl:1",
    ) as info:
        load_traces(path)
    assert info.value.line == 3 and info.value.field == "trace_id"
    df, errors = load_traces(path, errors="collect")
    assert df["trace_id"].tolist() == ["chatcmpl-D1", "chatcmpl-D2"]
    assert df["source"].iloc[0]["line"] == 1  # the first occurrence is kept, the second reported
    assert len(errors) == 1 and errors[0].line == 3


def test_duplicate_ids_across_files(tmp_path: Path) -> None:
    for name in ("a.jsonl", "b.jsonl"):
        shutil.copy(FIX / "openai" / "log_pairs.jsonl", tmp_path / name)
    with pytest.raises(
        TraceFormatError, match=r"b\.jsonl:1, field 'trace_id'.*first seen at .*a\.jsonl:1"
    ):
        load_traces(tmp_path)
    df, errors = load_traces(tmp_path, errors="collect")
    assert len(df) == 3 and len(errors) == 3
    assert all(e.file.endswith("b.jsonl") for e in errors)


def test_collect_returns_typed_records_and_good_rows() -> None:
    path = FIX / "openai" / "malformed_field.jsonl"
    df, errors = load_traces(path, errors="collect")
    assert df["input"].tolist() == ["Hi"]
    assert all(isinstance(e, TraceError) for e in errors)
    assert [(e.line, e.field) for e in errors] == [(2, "messages[1].role"), (3, "response.created")]
    assert all(e.format == "openai" and e.file == str(path) for e in errors)


def test_raise_mode_error_is_typed_and_pickles() -> None:
    import pickle

    with pytest.raises(TraceFormatError) as info:
        load_traces(FIX / "openai" / "malformed_field.jsonl")
    err = info.value
    assert isinstance(err, ValueError)
    assert (err.line, err.field) == (2, "messages[1].role")
    assert (
        "malformed_field.jsonl:2, field 'messages[1].role' [openai]: missing or not a string"
        in str(err)
    )
    assert pickle.loads(pickle.dumps(err)).error == err.error


# ------------------------------------------------------------------------------ ids and sizes


def test_ten_megabyte_field_loads(tmp_path: Path) -> None:
    big = "x" * (10 * 1024 * 1024)
    p = tmp_path / "big.jsonl"
    p.write_text(_chat("small question", big) + "\n" + _chat("q2", "a2") + "\n")
    df = load_traces(p)
    assert len(df.loc[0, "output"]) == 10 * 1024 * 1024
    assert df.loc[0, "messages"][1]["content"] == big
    assert df.loc[1, "output"] == "a2"


def test_ten_megabyte_field_in_otlp(tmp_path: Path) -> None:
    doc = json.loads((FIX / "otel" / "genai_lines.jsonl").read_text().splitlines()[0])
    big = "y" * (10 * 1024 * 1024)
    for kv in doc["resourceSpans"][0]["scopeSpans"][0]["spans"][0]["attributes"]:
        if kv["key"] == "gen_ai.output.messages":
            kv["value"]["stringValue"] = json.dumps(
                [{"role": "assistant", "parts": [{"type": "text", "content": big}]}]
            )
    p = tmp_path / "big.json"
    p.write_text(json.dumps(doc))
    assert load_traces(p).loc[0, "output"] == big


def test_content_hash_ids_are_stable_across_reloads_and_copies(tmp_path: Path) -> None:
    first = load_traces(FIX / "openai" / "finetune.jsonl")["trace_id"].tolist()
    copy = tmp_path / "renamed.jsonl"
    copy.write_bytes((FIX / "openai" / "finetune.jsonl").read_bytes())
    again = load_traces(copy)["trace_id"].tolist()
    assert first == again
    assert all(t.startswith("openai-") and len(t) == len("openai-") + 16 for t in first)
    assert len(set(first)) == 3


def test_native_ids_are_kept_verbatim() -> None:
    df = load_traces([FIX / "openai" / "log_pairs.jsonl", FIX / "otel" / "genai_current.json"])
    assert df["trace_id"].tolist() == [
        "chatcmpl-A1",
        "chatcmpl-A2",
        "chatcmpl-A3",
        "4bf92f3577b34da6a3ce929d0e0e4736",
        "a3ce929d0e0e47364bf92f3577b34da6",
    ]


def test_every_row_replays_to_its_origin() -> None:
    df = load_traces(FIX / "openai" / "log_pairs.jsonl")
    lines = (FIX / "openai" / "log_pairs.jsonl").read_text().splitlines()
    for tid, src in zip(df["trace_id"], df["source"], strict=True):
        assert json.loads(lines[src["line"] - 1])["response"]["id"] == tid


def test_all_my_fixture_families_load_together() -> None:
    good = [
        FIX / "openai" / n for n in ("finetune.jsonl", "batch_input.jsonl", "log_pairs.jsonl")
    ] + [
        FIX / "otel" / "genai_current.json",
        FIX / "otel" / "genai_legacy.json",
        FIX / "otel" / "genai_lines.jsonl",
        FIX / "openinference" / "phoenix_otlp.json",
    ]
    df = load_traces(good)
    _assert_canonical(df)
    assert df["trace_id"].is_unique
    assert len(df) == 3 + 2 + 3 + 2 + 2 + 2 + 2


# ------------------------------------------------------------------------- in-memory sources


def test_dataframe_goes_to_the_tabular_reader() -> None:
    frame = pd.DataFrame({"trace_id": ["t1", "t2"], "input": ["q1", "q2"], "output": ["a1", "a2"]})
    df = load_traces(frame)
    _assert_canonical(df)
    assert df["trace_id"].tolist() == ["t1", "t2"] and df["output"].tolist() == ["a1", "a2"]
    assert df["source"].iloc[1]["line"] == 2
    with pytest.raises(
        ValueError, match=r"`format` must be 'auto' for a DataFrame source; got 'openai'"
    ):
        load_traces(frame, format="openai")


def test_datasets_and_saved_folders_go_to_the_hf_reader(tmp_path: Path) -> None:
    import datasets

    ds = datasets.Dataset.from_dict(
        {"messages": [[{"role": "user", "content": "hi"}, {"role": "assistant", "content": "yo"}]]}
    )
    in_memory = load_traces(ds)
    assert (in_memory.loc[0, "input"], in_memory.loc[0, "output"]) == ("hi", "yo")
    ds.save_to_disk(str(tmp_path / "saved"))
    from_disk = load_traces(tmp_path / "saved")  # detected by dataset_info.json / state.json
    assert from_disk["source"].iloc[0]["format"] == "hf"
    assert from_disk["trace_id"].tolist() == in_memory["trace_id"].tolist()
    with pytest.raises(ValueError, match=r"`format` must be 'auto' or 'hf' for a datasets source"):
        load_traces(ds, format="csv")
    with pytest.raises(TraceFormatError, match=r"saved Hugging Face dataset folder cannot be read"):
        load_traces(tmp_path / "saved", format="openai")


def test_a_list_mixing_files_and_frames(tmp_path: Path) -> None:
    frame = pd.DataFrame({"trace_id": ["t1"], "input": ["q"], "output": ["a"]})
    df = load_traces([FIX / "openai" / "log_pairs.jsonl", frame])
    assert df["trace_id"].tolist() == ["chatcmpl-A1", "chatcmpl-A2", "chatcmpl-A3", "t1"]
    _assert_canonical(df)


def test_the_sample_data_folder_loads_with_native_ids(data_dir: Path) -> None:
    df, errors = load_traces(data_dir / "traces", errors="collect")
    assert errors == []
    _assert_canonical(df)
    truth = pd.read_csv(data_dir / "ground_truth.csv")
    assert df["trace_id"].is_unique
    assert set(df["trace_id"]) == set(truth["trace_id"])
    formats = df["source"].map(lambda s: s["format"])
    assert {"openai", "otel_genai", "openinference"} <= set(formats)
    merged = df.merge(truth, on="trace_id")
    # the readers recover what the generator planted: segment, model and the answer itself
    assert (merged["segment_x"] == merged["segment_y"]).all()
    assert (merged["model_x"] == merged["model_y"]).all()
    assert (merged["output"].str.len() == merged["response_chars"]).all()
    openai_ids = df.loc[formats == "openai", "trace_id"]
    assert openai_ids.str.startswith("chatcmpl-").all()
    otlp_ids = df.loc[formats.isin(["otel_genai", "openinference"]), "trace_id"]
    assert otlp_ids.str.fullmatch(r"[0-9a-f]{32}").all()
