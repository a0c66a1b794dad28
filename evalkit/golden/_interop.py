"""Hand a golden set to other tools: Hugging Face ``datasets``, Parquet, and evalkit traces."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pandas as pd

from evalkit.golden._load import CASE_COLUMNS, load_golden


def features() -> Any:
    """The typed ``datasets.Features`` of a golden case (mirrors ``schema.json``)."""
    from datasets import Features, List, Value

    s = Value("string")
    return Features({
        "case_id": s, "trace_id": s, "split": s, "segment": s, "expected_verdict": s,
        "failure_modes": List(s), "severity": Value("int32"), "input": s, "output": s,
        "messages": List({"role": s, "content": s, "name": s, "tool_call_id": s,
                          "tool_calls": List({"id": s, "name": s, "arguments": s})}),
        "references": List({"text": s, "quality": s, "author": s}),
        "source": {"format": s, "file": s, "line": Value("int64"), "span_id": s,
                   "prompt_id": s, "template_id": s},
        "provenance": {"annotators": List(s), "first_labeled_at": s, "last_labeled_at": s,
                       "label_source": s},
        "added_at": s,
    })


def _frames(path: str | os.PathLike[str], unseal: str | None) -> dict[str, pd.DataFrame]:
    out = {"active": load_golden(path, "active")}
    if unseal is not None:
        out["holdout"] = load_golden(path, "holdout", unseal=unseal)
    return out


def _records(df: pd.DataFrame) -> list[dict[str, Any]]:
    return [dict(zip(CASE_COLUMNS, row, strict=True))
            for row in df[list(CASE_COLUMNS)].itertuples(index=False, name=None)]


def to_dataset(path: str | os.PathLike[str], *, unseal: str | None = None) -> Any:
    """Return the golden set as a ``datasets.DatasetDict`` with typed :func:`features`.

    Parameters
    ----------
    path : str or os.PathLike
        The golden folder.
    unseal : str, optional
        Include the ``holdout`` split (the read is logged with this reason). Without it the
        DatasetDict holds ``active`` only: the holdout stays sealed.

    Returns
    -------
    datasets.DatasetDict
        ``active`` (and ``holdout``); ``save_to_disk`` / ``load_from_disk`` round-trip it.

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> from evalkit.golden import export_golden
    >>> tr = pd.DataFrame({"trace_id": list("abcd"), "input": ["q"] * 4, "output": ["a"] * 4})
    >>> path = tempfile.mkdtemp() + "/gold"
    >>> _ = export_golden(tr, tr.assign(verdict="pass")[["trace_id", "verdict"]], path)
    >>> dd = to_dataset(path, unseal="export to the eval harness")
    >>> {k: v.num_rows for k, v in dd.items()}
    {'active': 3, 'holdout': 1}
    """
    from datasets import Dataset, DatasetDict

    feats = features()
    return DatasetDict({k: Dataset.from_list(_records(df), features=feats)
                        for k, df in _frames(path, unseal).items()})


def to_parquet(path: str | os.PathLike[str], out: str | os.PathLike[str], *,
               unseal: str | None = None) -> Path:
    """Write the active split (and, with ``unseal``, the holdout) to one Parquet file.

    The ``split`` column tells the splits apart; the Arrow schema is :func:`features`'s.
    The file is written atomically. Returns its path.
    """
    import pyarrow as pa
    import pyarrow.parquet as pq

    from evalkit._atomic import atomic_write

    schema = features().arrow_schema
    rows = [r for df in _frames(path, unseal).values() for r in _records(df)]
    table = pa.Table.from_pylist(rows, schema=schema)
    return atomic_write(out, lambda tmp: pq.write_table(table, tmp))


def to_traces(path: str | os.PathLike[str], split: str = "active", *,
              unseal: str | None = None) -> pd.DataFrame:
    """Return golden cases as canonical evalkit traces (for replay), via ``load_traces``.

    Each row keeps its ``trace_id``, ``input``, ``output``, ``messages`` and ``segment``;
    ``metadata`` holds ``case_id``, ``split``, ``expected_verdict``, ``failure_modes``,
    ``references`` and the original ``source`` (``golden_source``).

    Examples
    --------
    >>> import tempfile, pandas as pd
    >>> from evalkit.golden import export_golden
    >>> tr = pd.DataFrame({"trace_id": list("abcd"), "input": ["q"] * 4, "output": ["a"] * 4})
    >>> path = tempfile.mkdtemp() + "/gold"
    >>> _ = export_golden(tr, tr.assign(verdict="pass")[["trace_id", "verdict"]], path)
    >>> frame = to_traces(path)
    >>> len(frame), frame["metadata"].iloc[0]["expected_verdict"]
    (3, 'pass')
    """
    from evalkit.traces import load_traces

    df = load_golden(path, split, unseal=unseal)  # type: ignore[arg-type]
    meta = [
        {"case_id": r.case_id, "split": r.split, "expected_verdict": r.expected_verdict,
         "failure_modes": r.failure_modes, "references": r.references,
         "golden_source": r.source}
        for r in df.itertuples(index=False)
    ]
    frame = pd.DataFrame({
        "trace_id": df["trace_id"], "input": df["input"], "output": df["output"],
        "messages": df["messages"], "segment": df["segment"], "metadata": meta,
    })
    out: pd.DataFrame = load_traces(frame)
    return out
