"""``scan_traces`` refuses what ``load_traces`` refuses (issue 12 item 7): pipes, devices,
broken links and link loops are errors naming the path, never opened, followed or skipped
silently. Before, a FIFO or a link to ``/dev/zero`` in a folder was left out without a word
(``Path.is_file()`` is false for them), and a named FIFO was "no such file or folder".
"""

from __future__ import annotations

import os

import pandas as pd
import pytest

from evalkit import scan_traces
from evalkit.errors import TraceFormatError


@pytest.fixture
def folder(tmp_path):
    pd.DataFrame({"trace_id": ["a", "b"]}).to_parquet(tmp_path / "good.parquet")
    return tmp_path


def test_a_fifo_in_a_folder_is_an_error_not_a_hang(folder):
    os.mkfifo(folder / "pipe.parquet")
    with pytest.raises(TraceFormatError, match="named pipe") as raised:
        scan_traces(folder)
    assert raised.value.file == str(folder / "pipe.parquet")


def test_a_named_fifo_and_a_glob_matching_one(folder):
    os.mkfifo(folder / "pipe.parquet")
    with pytest.raises(TraceFormatError, match="named pipe"):
        scan_traces(folder / "pipe.parquet")
    with pytest.raises(TraceFormatError, match="named pipe"):
        scan_traces(str(folder / "*.parquet"))


@pytest.mark.parametrize("suffix", [".parquet", ".jsonl"])
def test_a_link_to_a_device_is_not_read(folder, suffix):
    (folder / f"zero{suffix}").symlink_to("/dev/zero")
    with pytest.raises(TraceFormatError, match="character device"):
        scan_traces(folder, format="parquet" if suffix == ".parquet" else "jsonl")


def test_broken_and_looping_links(folder):
    (folder / "gone.parquet").symlink_to(folder / "nowhere.parquet")
    with pytest.raises(TraceFormatError, match="broken symbolic link") as raised:
        scan_traces(folder)
    assert "skipped" not in str(raised.value)  # the scan stops: nothing is skipped
    (folder / "gone.parquet").unlink()
    (folder / "sub").mkdir()
    (folder / "sub" / "up").symlink_to("..")
    with pytest.raises(TraceFormatError, match="symbolic link loop"):
        scan_traces(folder)
    (folder / "sub" / "up").unlink()
    (folder / "self.parquet").symlink_to(folder / "self.parquet")
    with pytest.raises(TraceFormatError, match="symbolic link loop"):
        scan_traces(folder / "self.parquet")


def test_hidden_and_underscore_names_are_still_skipped(folder):
    os.mkfifo(folder / "_pipe")
    os.mkfifo(folder / ".pipe")
    assert scan_traces(folder).count() == 2


def test_a_link_to_a_good_file_is_read(folder, tmp_path_factory):
    other = tmp_path_factory.mktemp("other")
    pd.DataFrame({"trace_id": ["c"]}).to_parquet(other / "c.parquet")
    (folder / "link.parquet").symlink_to(other / "c.parquet")
    assert scan_traces(folder).count() == 3
