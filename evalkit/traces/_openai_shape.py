"""Recognise OpenAI chat JSON Lines and tell its three record shapes apart.

One job: say whether a file is OpenAI chat JSONL (:func:`sniff`, from its first line) and which
shape a record has (:func:`_shape`: fine-tuning, Batch API or request/response log pair). The
reader is :mod:`evalkit.traces._openai`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from evalkit.traces._jsonio import first_json_line

NAME = "openai"

_SUFFIXES = (".jsonl", ".ndjson", ".json", ".jsonlines")
_FOREIGN_KEYS = frozenset(
    {"resourceSpans", "run_type", "trace_id", "observations", "spans", "eval", "samples"}
)
_LOG_HEAD = re.compile(rb'^\s*\{\s*"request"\s*:')
_TRUNCATED_HEAD = re.compile(
    rb'^\s*\{\s*"(?:messages|custom_id|request)"\s*:|^\s*\{\s*"id"\s*:\s*"batch_req_'
)


def _shape(record: Any) -> str | None:
    if not isinstance(record, dict) or _FOREIGN_KEYS.intersection(record):
        return None
    if "custom_id" in record and ("body" in record or "response" in record or "error" in record):
        return "batch"
    if isinstance(record.get("request"), dict) and isinstance(record.get("response"), dict):
        return "log"
    if isinstance(record.get("messages"), list):
        return "finetune"
    return None


def sniff(path: Path, head: bytes) -> bool:
    """Detect OpenAI chat JSONL from the first line (or, if it is cut off, its first key)."""
    if path.suffix.lower() not in _SUFFIXES:
        return False
    record = first_json_line(head)
    if record is not None:
        return _shape(record) is not None
    body = head.removeprefix(b"\xef\xbb\xbf").lstrip()
    if body.split(b"\n", 1)[0].strip() in (b"{", b"["):
        return False  # a pretty-printed JSON document, not JSON Lines: the generic JSON reader
    return bool(_TRUNCATED_HEAD.match(body))
