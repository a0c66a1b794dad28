"""Code-based checks: the base of the eval pyramid, inside the error-analysis loop.

Deterministic, vectorised checks over the canonical trace frame, one verdict per trace (``pass``,
``fail``, ``n/a`` or ``error``) with a short reason. Run them with :func:`evalkit.run_checks`;
the result's failure rates carry Wilson intervals, its verdicts import into the
:class:`~evalkit.LabelStore` as ``source="check:<name>"`` and calibrate against humans with
:func:`evalkit.calibrate`, like a judge.

Built-ins (factories returning a :class:`Check`):

=========================  ===========================================================
structured output          :func:`json_valid`, :func:`json_schema`, :func:`required_fields`
tool calls                 :func:`tool_called`, :func:`tool_not_called`,
                           :func:`tool_args_valid`, :func:`no_invented_ids`
text vs references         :func:`regex`, :func:`contains`, :func:`not_contains`,
                           :func:`exact`, :func:`normalized_exact`
behaviour                  :func:`refusal`, :func:`language_match`
budgets                    :func:`budget` (latency, tokens, cost; per segment)
groundedness proxies       :func:`cites_retrieved`, :func:`lexical_overlap`,
                           :func:`contradicts_retrieved` (or your NLI model)
=========================  ===========================================================

Custom checks are plain functions wrapped with :func:`evalkit.check`; configs load with
:func:`load_config` (used by ``evalkit check``).

Examples
--------
>>> import evalkit
>>> from evalkit import checks
>>> traces = evalkit.load_traces(evalkit.sample_data.path() / "traces")
>>> res = evalkit.run_checks(traces, [checks.tool_args_valid(), checks.no_invented_ids(),
...                                   checks.budget(latency_ms=8000)])
>>> sorted(res.summary.query("segment == '(all)'")["check"])
['budget', 'no_invented_ids', 'tool_args_valid']
"""

from __future__ import annotations

from typing import Any

from evalkit._lazy import attach

_LAZY: dict[str, str] = {
    "Check": "evalkit.checks._core",
    "CheckError": "evalkit.checks._core",
    "CheckConfigError": "evalkit.checks._core",
    "Verdicts": "evalkit.checks._core",
    "VERDICTS": "evalkit.checks._core",
    "check": "evalkit.checks._core",
    "run_checks": "evalkit.checks._run",
    "CheckResult": "evalkit.checks._result",
    "CheckGateResult": "evalkit.checks._gate",
    "gate": "evalkit.checks._gate",
    "parse_gate": "evalkit.checks._gate",
    "load_config": "evalkit.checks._config",
    "ChecksConfig": "evalkit.checks._config",
    "registry": "evalkit.checks._config",
    "json_valid": "evalkit.checks._json",
    "json_schema": "evalkit.checks._json",
    "required_fields": "evalkit.checks._json",
    "tool_called": "evalkit.checks._tools",
    "tool_not_called": "evalkit.checks._tools",
    "tool_args_valid": "evalkit.checks._tools",
    "tool_schemas": "evalkit.checks._tools",
    "no_invented_ids": "evalkit.checks._tools",
    "regex": "evalkit.checks._text",
    "contains": "evalkit.checks._text",
    "not_contains": "evalkit.checks._text",
    "exact": "evalkit.checks._text",
    "normalized_exact": "evalkit.checks._text",
    "refusal": "evalkit.checks._refusal",
    "REFUSAL_PHRASES": "evalkit.checks._refusal",
    "language_match": "evalkit.checks._language",
    "budget": "evalkit.checks._budget",
    "cites_retrieved": "evalkit.checks._grounded",
    "lexical_overlap": "evalkit.checks._grounded",
    "contradicts_retrieved": "evalkit.checks._contradict",
}

_getattr, __dir__, __all__ = attach(__name__, _LAZY)


def __getattr__(name: str) -> Any:
    return _getattr(name)
