"""The generator's trace record: one format-free ``Trace`` with its model calls and tool runs.

:mod:`evalkit.sample_data._traces` builds them; every writer in
:mod:`evalkit.sample_data._writers` renders them into its format.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class LLMCall:
    """One model call: the messages it saw, what it returned, and its timing/usage."""

    input_messages: list[dict[str, Any]]
    output: dict[str, Any]
    input_tokens: int
    output_tokens: int
    start_ms: float
    end_ms: float
    response_id: str
    finish_reason: str


@dataclass
class ToolRun:
    """One executed tool call."""

    call_id: str
    name: str
    arguments: dict[str, Any]
    result: dict[str, Any]
    start_ms: float
    end_ms: float


@dataclass
class Trace:
    """Everything the writers need to render one trace in any format."""

    index: int
    segment: str
    scenario: str
    topic: str
    model: str
    provider: str
    mode: str  # "none" for passing traces
    severity: int | None
    start_s: float  # unix seconds (ms precision)
    session_id: str
    user_id: str
    messages: list[dict[str, Any]]
    query: str
    retrieved: list[dict[str, Any]]
    retrieval_ms: tuple[float, float]
    calls: list[LLMCall]
    tools: list[ToolRun]
    latency_ms: float
    cost_usd: float
    format: str = ""
    trace_id: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def output(self) -> str:
        """The final assistant text."""
        return str(self.messages[-1]["content"])

    @property
    def input(self) -> str:
        """The last user text before the final answer."""
        return next(str(m["content"]) for m in reversed(self.messages) if m["role"] == "user")

    @property
    def input_tokens(self) -> int:
        """Prompt tokens summed over calls."""
        return sum(c.input_tokens for c in self.calls)

    @property
    def output_tokens(self) -> int:
        """Completion tokens summed over calls."""
        return sum(c.output_tokens for c in self.calls)

    @property
    def verdict(self) -> str:
        """Ground-truth verdict."""
        return "pass" if self.mode == "none" else "fail"
