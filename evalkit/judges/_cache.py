"""The judge cache: one SQLite file of judge replies keyed by rubric, judge and trace content.

A key is the SHA-256 of (rubric content hash, judge model, judge params, trace content hash), so a
rerun of the same rubric and judges over the same traces costs nothing and returns the same
verdicts, while changing one word of the rubric, the model version or a parameter misses. Each
reply is committed as soon as it arrives, so a killed run resumes without paying twice. The file
carries ``PRAGMA application_id`` (``EVJC``) and ``user_version``: a foreign file or one written by
a newer evalkit is refused.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evalkit.judges._run_errors import JudgeCacheError

#: ``PRAGMA application_id``: the ASCII bytes ``EVJC``.
APPLICATION_ID = 0x45564A43
SCHEMA_VERSION = 1

_SCHEMA = f"""
PRAGMA application_id = {APPLICATION_ID};
PRAGMA user_version = {SCHEMA_VERSION};
CREATE TABLE IF NOT EXISTS replies (
    key TEXT PRIMARY KEY,
    rubric_hash TEXT NOT NULL,
    judge_model TEXT NOT NULL,
    judge_params TEXT NOT NULL,
    trace_hash TEXT NOT NULL,
    answer TEXT NOT NULL,
    raw_text TEXT NOT NULL,
    input_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    cost_usd REAL NOT NULL,
    latency_ms REAL NOT NULL,
    attempts INTEGER NOT NULL,
    created_at REAL NOT NULL
);
"""


def canonical_json(value: Any) -> str:
    """Sorted-key, compact JSON (the hashing form); non-JSON values fall back to ``str``."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"),
                      default=str)


def cache_key(rubric_hash: str, model: str, params: Mapping[str, Any], trace_hash: str) -> str:
    """The cache key of one (rubric, judge, trace) triple.

    Examples
    --------
    >>> a = cache_key("r", "m", {"temperature": 0, "seed": 1}, "t")
    >>> a == cache_key("r", "m", {"seed": 1, "temperature": 0}, "t")
    True
    >>> a == cache_key("r", "m", {"temperature": 0.2, "seed": 1}, "t")
    False
    """
    return key_maker(rubric_hash, model, params)(trace_hash)


def key_maker(rubric_hash: str, model: str, params: Mapping[str, Any]) -> Callable[[str], str]:
    """``trace_hash -> cache_key(rubric_hash, model, params, trace_hash)``, the prefix hashed once.

    Examples
    --------
    >>> key_maker("r", "m", {})("t") == cache_key("r", "m", {}, "t")
    True
    """
    head = hashlib.sha256()
    # the same bytes as canonical_json([rubric_hash, model, params, trace_hash])
    head.update(canonical_json([rubric_hash, model, dict(params)])[:-1].encode("utf-8") + b",")

    def make(trace_hash: str) -> str:
        h = head.copy()
        h.update(json.dumps(trace_hash, ensure_ascii=False).encode("utf-8") + b"]")
        return h.hexdigest()

    return make


@dataclass(frozen=True, slots=True, kw_only=True)
class CachedReply:
    """A stored reply: the parsed answer (criterion -> [verdict, score, explanation]) and usage."""

    answer: dict[str, list[Any]]
    raw_text: str
    input_tokens: int
    output_tokens: int
    cost_usd: float
    latency_ms: float
    attempts: int


class JudgeCache:
    """Open (or create) a judge cache file.

    Parameters
    ----------
    path : str or Path
        The SQLite file; ``":memory:"`` for a throwaway cache.

    Raises
    ------
    JudgeCacheError
        Not an SQLite file, a foreign SQLite file, or a newer schema version.

    Examples
    --------
    >>> c = JudgeCache(":memory:")
    >>> c.put("k", rubric_hash="r", judge_model="m", judge_params={}, trace_hash="t",
    ...       answer={"q": ["pass", 1.0, ""]}, raw_text="{}", input_tokens=10, output_tokens=2,
    ...       cost_usd=0.0, latency_ms=5.0, attempts=1)
    >>> c.get_many(["k", "missing"])["k"].answer
    {'q': ['pass', 1.0, '']}
    >>> len(c)
    1
    """

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        try:
            # one thread at a time (the run's event loop), possibly not the opening thread
            self._conn = sqlite3.connect(self.path, timeout=30, check_same_thread=False,
                                         isolation_level=None)
            self._check()
        except sqlite3.DatabaseError as e:
            raise JudgeCacheError(f"{self.path}: not a judge cache ({e}).") from None

    def _check(self) -> None:
        conn = self._conn
        app = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if app == 0 and not tables:
            conn.executescript(_SCHEMA)
        elif app != APPLICATION_ID:
            raise JudgeCacheError(f"{self.path}: this SQLite file is not an evalkit judge cache "
                                  f"(application_id {app:#x}, tables {sorted(tables)}); "
                                  "pass another `cache=` path.")
        elif version > SCHEMA_VERSION:
            raise JudgeCacheError(f"{self.path}: judge cache schema version {version} was "
                                  f"written by a newer evalkit (this one reads up to "
                                  f"{SCHEMA_VERSION}); upgrade evalkit or use another cache.")
        elif "replies" not in tables:
            raise JudgeCacheError(f"{self.path}: judge cache is missing its 'replies' table.")
        if self.path != ":memory:":
            conn.execute("PRAGMA journal_mode=WAL")
        # a killed process loses at most the reply in flight; WAL + NORMAL survives process death
        conn.execute("PRAGMA synchronous=NORMAL")

    def get_many(self, keys: Iterable[str]) -> dict[str, CachedReply]:
        """Stored replies for ``keys`` (missing keys are absent from the result)."""
        keys = list(dict.fromkeys(keys))
        out: dict[str, CachedReply] = {}
        sql = ("SELECT key, answer, raw_text, input_tokens, output_tokens, cost_usd, latency_ms, "
               "attempts FROM replies WHERE key IN ({})")
        for i in range(0, len(keys), 900):  # SQLite's default bound-parameter limit is 999
            chunk = keys[i:i + 900]
            for row in self._conn.execute(sql.format(",".join("?" * len(chunk))), chunk):
                out[row[0]] = CachedReply(answer=json.loads(row[1]), raw_text=row[2],
                                          input_tokens=row[3], output_tokens=row[4],
                                          cost_usd=row[5], latency_ms=row[6], attempts=row[7])
        return out

    def put(self, key: str, *, rubric_hash: str, judge_model: str,
            judge_params: Mapping[str, Any], trace_hash: str, answer: Mapping[str, list[Any]],
            raw_text: str, input_tokens: int, output_tokens: int, cost_usd: float,
            latency_ms: float, attempts: int) -> None:
        """Store one reply and commit before returning."""
        self._conn.execute(
            "INSERT OR REPLACE INTO replies VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (key, rubric_hash, judge_model, canonical_json(judge_params), trace_hash,
             json.dumps(answer, ensure_ascii=False), raw_text, int(input_tokens),
             int(output_tokens), float(cost_usd), float(latency_ms), int(attempts), time.time()))

    def __len__(self) -> int:
        return int(self._conn.execute("SELECT count(*) FROM replies").fetchone()[0])

    def close(self) -> None:
        """Close the connection."""
        self._conn.close()

    def __enter__(self) -> JudgeCache:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
