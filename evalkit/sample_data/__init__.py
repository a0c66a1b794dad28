"""Deterministic sample data: ~600 support-bot traces in six formats, truth, human and judge labels.

``python -m evalkit.sample_data --out data`` regenerates the committed ``data/`` folder byte for
byte; ``--check`` verifies it (see ``__main__``). The loaders here read the CSVs directly and do not
depend on :func:`evalkit.load_traces`.

Examples
--------
>>> import evalkit.sample_data as sd
>>> gt = sd.load_ground_truth()
>>> sorted(gt.columns)[:3]
['failure_mode', 'model', 'response_chars']
>>> set(sd.load_judge_labels()["judge"]) == {"judge_strict", "judge_lenient", "judge_verbose"}
True
"""

from __future__ import annotations

import filecmp
import os
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING

from evalkit._atomic import atomic_write_text
from evalkit.sample_data._world import SEED

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "FILES",
    "SEED",
    "check",
    "generate",
    "load_ground_truth",
    "load_human_labels",
    "load_judge_labels",
    "path",
]

#: Every file the generator writes, relative to the output folder.
#: the files of evalkit/sample_data/_releases.py
RUN_FILES: tuple[str, ...] = (
    "runs/README.md",
    "runs/active.csv",
    "runs/baseline.csv",
    "runs/canary.csv",
    "runs/candidate.csv",
    "runs/history.csv",
    "runs/holdout.csv",
)
FILES: tuple[str, ...] = (
    "README.md",
    "ground_truth.csv",
    "labels/human.csv",
    "labels/judges.csv",
    "traces/langfuse.json",
    "traces/langsmith.jsonl",
    "traces/openai_chat.jsonl",
    "traces/openinference.json",
    "traces/otel_genai.json",
    "traces/support.csv",
    *RUN_FILES,  # releases and drift (issue 14): evalkit/sample_data/_releases.py
)


def path() -> Path:
    """Return the repository's ``data/`` folder (where the committed sample data lives).

    Examples
    --------
    >>> path().name
    'data'
    """
    return Path(__file__).resolve().parents[2] / "data"


def _write(target: Path, text: str) -> None:
    """Write atomically, world-readable."""
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(target, text, mode=0o644)


def generate(out_dir: str | os.PathLike[str], *, seed: int = SEED) -> list[Path]:
    """Generate every sample-data file into ``out_dir``; return the written paths.

    The output depends only on ``seed``: no wall clock, sorted JSON keys, fixed line endings.
    """
    import numpy as np

    from evalkit.sample_data import _labels, _plant_checks, _readme, _traces, _writers

    out = Path(out_dir)
    traces = _traces.generate_traces(seed)
    traces = _plant_checks.plant_check_failures(traces, seed)  # issue 17: check targets
    texts: dict[str, str] = {}
    for i, (fmt, (fname, writer)) in enumerate(_writers.WRITERS.items()):
        subset = [t for t in traces if t.format == fmt]
        texts[f"traces/{fname}"] = writer(subset, np.random.default_rng([seed, 10 + i]))
    gt = _labels.ground_truth(traces)
    judges = _labels.judges(gt, np.random.default_rng([seed, 2]))
    humans = _labels.humans(gt, traces, np.random.default_rng([seed, 3]))
    texts["ground_truth.csv"] = gt.to_csv(index=False, lineterminator="\n")
    texts["labels/judges.csv"] = judges.to_csv(index=False, lineterminator="\n")
    texts["labels/human.csv"] = humans.to_csv(index=False, lineterminator="\n")
    texts["README.md"] = _readme.render(
        traces, gt, judges, humans, {k: len(v.encode()) for k, v in texts.items()}
    )
    from evalkit.sample_data import _releases  # after the README: its sizes stay as they were

    texts.update(_releases.render(gt, seed))
    assert set(texts) == set(FILES), sorted(set(texts) ^ set(FILES))
    written = []
    for rel in FILES:
        _write(out / rel, texts[rel])
        written.append(out / rel)
    return written


def check(out_dir: str | os.PathLike[str], *, seed: int = SEED) -> list[str]:
    """Return the files in ``out_dir`` that are missing or differ from a fresh generation."""
    out = Path(out_dir)
    with tempfile.TemporaryDirectory() as tmp:
        generate(tmp, seed=seed)
        return [
            rel
            for rel in FILES
            if not (out / rel).is_file()
            or not filecmp.cmp(Path(tmp) / rel, out / rel, shallow=False)
        ]


def _read_csv(rel: str, data_dir: str | os.PathLike[str] | None) -> pd.DataFrame:
    import pandas as pd

    file = Path(data_dir) / rel if data_dir is not None else path() / rel
    if not file.is_file():
        raise FileNotFoundError(
            f"sample data file missing: {file} (run `python -m evalkit.sample_data --out data`)"
        )
    return pd.read_csv(
        file, dtype={"trace_id": "string"}, keep_default_na=False, na_values={"severity": [""]}
    )


def load_ground_truth(data_dir: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Ground truth: trace_id, segment, true_verdict, failure_mode, severity, response_chars, model.

    Examples
    --------
    >>> gt = load_ground_truth()
    >>> set(gt["true_verdict"]) == {"pass", "fail"}
    True
    """
    df = _read_csv("ground_truth.csv", data_dir)
    df["severity"] = df["severity"].astype("Int64")
    return df


def load_human_labels(data_dir: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Human labels (long): trace_id, annotator, verdict, note, failure_modes, labeled_at.

    Examples
    --------
    >>> sorted(load_human_labels()["annotator"].unique())
    ['ann_alice', 'ann_bob', 'ann_carol']
    """
    df = _read_csv("labels/human.csv", data_dir)
    df["labeled_at"] = __import__("pandas").to_datetime(df["labeled_at"], utc=True)
    return df


def load_judge_labels(data_dir: str | os.PathLike[str] | None = None) -> pd.DataFrame:
    """Judge labels: trace_id, judge, verdict, score (1-5; pass iff score >= 3), judge_model.

    Examples
    --------
    >>> j = load_judge_labels()
    >>> bool(((j["score"] >= 3) == (j["verdict"] == "pass")).all())
    True
    """
    return _read_csv("labels/judges.csv", data_dir)
