"""Fake judge clients for the judge-run tests (plain callables: no mocks of evalkit code)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable
from typing import Any

import pandas as pd
import pytest

from evalkit.judges import Completion, Judge, Rubric


class HTTPError(Exception):
    """Shaped like an SDK's API error: carries ``status_code``."""

    def __init__(self, status_code: int, message: str = "") -> None:
        super().__init__(message or f"HTTP {status_code}")
        self.status_code = status_code


def answer_for(rubric: Rubric, verdict: str = "pass", score: int = 4) -> str:
    if rubric.kind == "scale":
        return json.dumps({c: {"score": score, "explanation": "ok"} for c in rubric.criteria})
    return json.dumps({c: {"verdict": verdict, "explanation": "ok"} for c in rubric.criteria})


class Scripted:
    """A sync client that replays a script of replies/exceptions, then a default answer.

    Thread-safe call log: ``calls`` holds the user message of every call.
    """

    def __init__(self, default: Any, script: list[Any] | None = None,
                 usage: tuple[int, int] | None = (100, 20)) -> None:
        self.default = default
        self.script = list(script or [])
        self.usage = usage
        self.calls: list[str] = []
        self.lock = threading.Lock()

    def __call__(self, messages: list[dict[str, str]], **params: Any) -> Any:
        with self.lock:
            self.calls.append(messages[-1]["content"])
            item = self.script.pop(0) if self.script else self.default
        if isinstance(item, BaseException):
            raise item
        if callable(item):
            item = item(messages)
        if self.usage is None or not isinstance(item, str):
            return item
        return Completion(text=item, input_tokens=self.usage[0], output_tokens=self.usage[1])


class AsyncSleeper:
    """An async client that sleeps, records start times and the peak number in flight."""

    def __init__(self, reply: str, delay: float = 0.0) -> None:
        self.reply, self.delay = reply, delay
        self.starts: list[float] = []
        self.in_flight = 0
        self.peak = 0

    async def __call__(self, messages: list[dict[str, str]], **params: Any) -> Completion:
        self.starts.append(time.monotonic())
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)
        try:
            await asyncio.sleep(self.delay)
        finally:
            self.in_flight -= 1
        return Completion(text=self.reply, input_tokens=10, output_tokens=5)


@pytest.fixture()
def binary_rubric() -> Rubric:
    return Rubric.from_dict({"name": "t", "version": "1", "questions": [
        {"id": "next_step", "question": "Concrete next step?", "pass": "names an action",
         "fail": "no action"}]})


@pytest.fixture()
def two_question_rubric() -> Rubric:
    return Rubric.from_dict({"name": "t2", "version": "1", "questions": [
        {"id": "grounded", "question": "Grounded?", "pass": "supported", "fail": "invented"},
        {"id": "next_step", "question": "Next step?", "pass": "action", "fail": "none"}]})


@pytest.fixture()
def traces() -> pd.DataFrame:
    n = 12
    return pd.DataFrame({
        "trace_id": [f"t{i:02d}" for i in range(n)],
        "input": [f"question {i}" for i in range(n)],
        "output": [f"answer number {i}" for i in range(n)],
        "segment": ["billing" if i % 3 else "data_privacy" for i in range(n)],
    })


def judge(client: Callable[..., Any], model: str = "fake-1",
          price: tuple[float, float] = (1.0, 2.0)) -> Judge:
    return Judge(client, model=model, price=price)


@pytest.fixture()
def fakes() -> Any:
    """The fake clients and helpers of this module (test files cannot import conftest)."""
    import types

    return types.SimpleNamespace(Scripted=Scripted, AsyncSleeper=AsyncSleeper,
                                 HTTPError=HTTPError, answer_for=answer_for, judge=judge)
