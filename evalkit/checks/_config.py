"""Checks from a config file (YAML or JSON): the registry of built-in names and the loader.

.. code-block:: yaml

    checks:
      - json_valid                      # a built-in with its defaults
      - check: json_schema              # a built-in with options
        name: answer_schema             # optional: the check's name (default: the built-in's)
        schema_file: answer.schema.json # relative to this file (or `schema:` inline)
      - check: tool_not_called
        tool: issue_refund
        segments: [legal_threats]
      - check: budget
        latency_ms: 8000
        by_segment: {outage: {latency_ms: 4000}}
    gate:
      - json_valid>=0.99

Unknown checks, unknown options and malformed entries are a :class:`CheckConfigError` naming the
file and the entry; nothing is skipped.
"""

from __future__ import annotations

import inspect
import json
import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evalkit.checks._core import Check, CheckConfigError, CheckError


def registry() -> dict[str, Callable[..., Check]]:
    """Built-in check name -> factory (what a config's ``check:`` may name)."""
    from evalkit.checks import (
        _budget,
        _contradict,
        _grounded,
        _json,
        _language,
        _refusal,
        _text,
        _tools,
    )

    return {
        "json_valid": _json.json_valid,
        "json_schema": _json.json_schema,
        "required_fields": _json.required_fields,
        "tool_called": _tools.tool_called,
        "tool_not_called": _tools.tool_not_called,
        "tool_args_valid": _tools.tool_args_valid,
        "no_invented_ids": _tools.no_invented_ids,
        "regex": _text.regex,
        "contains": _text.contains,
        "not_contains": _text.not_contains,
        "exact": _text.exact,
        "normalized_exact": _text.normalized_exact,
        "refusal": _refusal.refusal,
        "language_match": _language.language_match,
        "budget": _budget.budget,
        "cites_retrieved": _grounded.cites_retrieved,
        "lexical_overlap": _grounded.lexical_overlap,
        "contradicts_retrieved": _contradict.contradicts_retrieved,
    }


# config key -> factory argument, where the factory's own name differs
_RENAME = {"tool_called": {"tool": "name", "name": "check_name"},
           "tool_not_called": {"tool": "name", "name": "check_name"}}


@dataclass(frozen=True, slots=True, kw_only=True)
class ChecksConfig:
    """A loaded config: the checks, in order, and the gate conditions."""

    checks: tuple[Check, ...]
    gate: tuple[str, ...] = ()
    path: str | None = None


def _read(path: Path) -> Any:
    if not path.is_file():
        raise CheckConfigError(f"{path}: checks config not found.")
    text = path.read_text(encoding="utf-8")
    try:
        if path.suffix.lower() == ".json":
            return json.loads(text)
        import yaml

        return yaml.safe_load(text)
    except (ValueError, Exception) as exc:
        if isinstance(exc, CheckConfigError):
            raise
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise CheckConfigError(f"{path}: not valid YAML/JSON: {first}") from None


def _entry(i: int, item: Any, where: str, base: Path | None,
           known: dict[str, Callable[..., Check]]) -> Check:
    at = f"{where}: checks[{i}]"
    if isinstance(item, str):
        item = {"check": item}
    if not isinstance(item, Mapping) or not isinstance(item.get("check"), str):
        raise CheckConfigError(f"{at}: each entry must be a check name or a mapping with a "
                               f"'check' key; got {item!r:.120}.")
    kind = item["check"]
    if kind not in known:
        raise CheckConfigError(f"{at}: unknown check {kind!r}; known checks: {sorted(known)}.")
    factory = known[kind]
    opts = {str(k): v for k, v in item.items() if k != "check"}
    if "schema_file" in opts:
        if kind != "json_schema":
            raise CheckConfigError(f"{at}: 'schema_file' is only for json_schema.")
        sf = Path(str(opts.pop("schema_file")))
        sf = sf if sf.is_absolute() or base is None else base / sf
        if not sf.is_file():
            raise CheckConfigError(f"{at}: schema_file {str(sf)!r} not found.")
        try:
            opts["schema"] = json.loads(sf.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise CheckConfigError(f"{at}: schema_file {str(sf)!r} is not JSON: {exc}") from None
    ren = _RENAME.get(kind, {})
    kwargs = {ren.get(k, k): v for k, v in opts.items()}
    params = inspect.signature(factory).parameters
    allowed = sorted({next((a for a, b in ren.items() if b == p), p) for p in params})
    unknown = sorted(k for k, v in opts.items() if ren.get(k, k) not in params)
    if unknown:
        raise CheckConfigError(f"{at} ({kind}): unknown options {unknown}; allowed: {allowed}.")
    missing = [next((a for a, b in ren.items() if b == p), p) for p, prm in params.items()
               if prm.default is inspect.Parameter.empty and p not in kwargs]
    if missing:
        raise CheckConfigError(f"{at} ({kind}): missing required options {missing}.")
    try:
        return factory(**kwargs)
    except CheckError as exc:
        raise CheckConfigError(f"{at} ({kind}): {exc}") from None
    except (TypeError, ValueError) as exc:
        raise CheckConfigError(f"{at} ({kind}): {exc}") from None


def load_config(config: str | os.PathLike[str] | Mapping[str, Any]) -> ChecksConfig:
    """Load checks (and gate conditions) from a YAML/JSON file or an equivalent dict.

    Parameters
    ----------
    config : path or mapping
        ``{"checks": [...], "gate": [...]}`` (``gate`` optional); see the module docstring.

    Returns
    -------
    ChecksConfig
        ``checks`` (tuple of :class:`Check`), ``gate`` (tuple of condition strings), ``path``.

    Raises
    ------
    CheckConfigError
        Missing/unreadable file, unknown check or option, duplicate names, malformed entries.

    Examples
    --------
    >>> cfg = load_config({"checks": ["json_valid", {"check": "budget", "latency_ms": 5000}],
    ...                    "gate": ["json_valid>=0.99"]})
    >>> [c.name for c in cfg.checks], cfg.gate
    (['json_valid', 'budget'], ('json_valid>=0.99',))
    >>> load_config({"checks": ["jsn_valid"]})
    Traceback (most recent call last):
    ...
    evalkit.checks._core.CheckConfigError: <dict>: checks[0]: unknown check 'jsn_valid'; ...
    """
    if isinstance(config, Mapping):
        data: Any = config
        where, base, path = "<dict>", None, None
    elif isinstance(config, (str, os.PathLike)):
        p = Path(config)
        data, where, base, path = _read(p), str(p), p.parent, str(p)
    else:
        raise CheckConfigError(f"`config` must be a path or a dict; got {type(config).__name__}.")
    if not isinstance(data, Mapping):
        raise CheckConfigError(f"{where}: the config must be a mapping with a 'checks' list; "
                               f"got {type(data).__name__}.")
    extra = sorted(set(map(str, data)) - {"checks", "gate"})
    if extra:
        raise CheckConfigError(f"{where}: unknown keys {extra}; allowed: ['checks', 'gate'].")
    items = data.get("checks")
    if not isinstance(items, list) or not items:
        raise CheckConfigError(f"{where}: 'checks' must be a non-empty list; got {items!r:.80}.")
    known = registry()
    checks = [_entry(i, item, where, base, known) for i, item in enumerate(items)]
    names = [c.name for c in checks]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise CheckConfigError(f"{where}: check names {dup} appear more than once; give each a "
                               "'name:'.")
    gate = data.get("gate", []) or []
    if isinstance(gate, str):
        gate = [gate]
    if not isinstance(gate, list) or not all(isinstance(g, str) for g in gate):
        raise CheckConfigError(f"{where}: 'gate' must be a list of conditions like "
                               f"'json_valid>=0.99'; got {gate!r:.80}.")
    from evalkit.checks._gate import parse_gate

    for g in gate:
        try:
            parse_gate(g)
        except CheckError as exc:
            raise CheckConfigError(f"{where}: gate: {exc}") from None
    return ChecksConfig(checks=tuple(checks), gate=tuple(gate), path=path)
