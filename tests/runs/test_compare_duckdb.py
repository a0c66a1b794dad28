"""Counts in at warehouse scale: DuckDB SQL over a 10M-row Parquet file gives the paired 2x2
tables per segment, and compare_runs on those tables equals compare_runs on the rows.

The file holds one row per (run, case): 5M cases x 2 runs, 20 segments. The SQL is the recipe
the README gives (there for Spark SQL too). DuckDB is a dev-only dependency, imported inside the
test.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from evalkit.runs import compare_runs

N_CASES = 5_000_000  # x 2 runs = 10M rows

SQL = """
SELECT b.segment                                              AS segment,
       COUNT(*) FILTER (WHERE b.verdict AND c.verdict)         AS n11,
       COUNT(*) FILTER (WHERE b.verdict AND NOT c.verdict)     AS n10,
       COUNT(*) FILTER (WHERE NOT b.verdict AND c.verdict)     AS n01,
       COUNT(*) FILTER (WHERE NOT b.verdict AND NOT c.verdict) AS n00
FROM read_parquet($path) AS b
JOIN read_parquet($path) AS c ON b.case_id = c.case_id
WHERE b.run = 'baseline' AND c.run = 'candidate'
GROUP BY b.segment
ORDER BY b.segment
"""


def _write_runs(path: Path) -> None:
    rng = np.random.default_rng(14)
    seg_codes = rng.integers(0, 20, N_CASES).astype(np.int32)
    base = rng.random(N_CASES) < 0.8
    flip = rng.random(N_CASES) < 0.05
    cand = base ^ flip
    cand &= ~((seg_codes == 7) & (rng.random(N_CASES) < 0.02))  # segment 07 regresses
    segments = pa.array([f"seg-{i:02d}" for i in range(20)])
    ids = np.arange(N_CASES, dtype=np.int64)
    perm = rng.permutation(N_CASES)  # the candidate's rows come in another order
    table = pa.table({
        "run": pa.DictionaryArray.from_arrays(
            np.repeat(np.array([0, 1], np.int32), N_CASES), pa.array(["baseline", "candidate"])),
        "case_id": np.r_[ids, ids[perm]],
        "segment": pa.DictionaryArray.from_arrays(np.r_[seg_codes, seg_codes[perm]], segments),
        "verdict": np.r_[base, cand[perm]],
    })
    pq.write_table(table, path, row_group_size=1_000_000)


@pytest.mark.slow
def test_duckdb_tables_from_10m_rows_equal_the_rows_path(tmp_path: Path) -> None:
    import duckdb

    path = tmp_path / "runs.parquet"
    t0 = time.perf_counter()
    _write_runs(path)
    t1 = time.perf_counter()
    con = duckdb.connect()
    con.execute("SET threads TO 2")
    tables = con.execute(SQL, {"path": str(path)}).df()
    t2 = time.perf_counter()
    assert pq.read_metadata(path).num_rows == 10_000_000
    assert len(tables) == 20 and int(tables[["n11", "n10", "n01", "n00"]].to_numpy().sum()) \
        == N_CASES
    from_counts = compare_runs(tables, rng=0)
    t3 = time.perf_counter()

    data = pq.read_table(path)
    runs = [data.filter(pc.equal(data.column("run"), r)).drop(["run"]).to_pandas()
            for r in ("baseline", "candidate")]
    from_rows = compare_runs(runs[0], runs[1], rng=0)
    t4 = time.perf_counter()
    print(f"\nwrite {t1 - t0:.1f}s, duckdb {t2 - t1:.1f}s, counts-in {t3 - t2:.2f}s, "
          f"rows-in (read + compare) {t4 - t3:.1f}s")

    a, b = from_rows.to_frame(), from_counts.to_frame()
    assert list(a["segment"]) == list(b["segment"])
    num = a.select_dtypes("number").columns
    np.testing.assert_allclose(a[num].to_numpy(float), b[num].to_numpy(float), rtol=0,
                               atol=1e-12)
    assert from_rows.regressions == from_counts.regressions
    assert "seg-07" in from_counts.regressions
