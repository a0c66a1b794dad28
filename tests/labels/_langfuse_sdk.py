"""Validate evalkit's Langfuse export with the Langfuse SDK itself (``langfuse`` pinned in the
``test`` extra): parse the rows into the SDK's request models, then send them through the SDK's own
``scores.create`` over an ``httpx.MockTransport`` and check the wire body is what evalkit wrote."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

import httpx
from langfuse.api import LangfuseAPI
from langfuse.api.core.pydantic_utilities import parse_obj_as
from langfuse.api.core.serialization import convert_and_respect_annotation_metadata
from langfuse.api.scores import CreateScoreRequest, CreateScoresRequest

LANGFUSE_SDK_VERSION = "5.0.4"


def _normal(row: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in row.items() if v is not None}
    if "timestamp" in out:  # the SDK writes +00:00 where evalkit writes Z: compare instants
        out["timestamp"] = datetime.fromisoformat(out["timestamp"].replace("Z", "+00:00"))
    return out


def client(seen: list[httpx.Request], status: int = 202, body: Any = None) -> LangfuseAPI:
    """A Langfuse API client whose transport records each request and answers ``status``."""

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(status, json=body if body is not None else {"message": "Accepted"})

    http = httpx.Client(transport=httpx.MockTransport(handle), base_url="http://127.0.0.1:1")
    return LangfuseAPI(
        base_url="http://127.0.0.1:1", username="pk-lf-test", password="sk-lf-test",
        httpx_client=http,
    )


def validate(rows: list[dict[str, Any]]) -> list[CreateScoreRequest]:
    """Every row is a ``CreateScoreRequest`` the SDK sends unchanged (no unknown field)."""
    native = convert_and_respect_annotation_metadata(
        object_=rows, annotation=CreateScoresRequest, direction="read"
    )
    models = parse_obj_as(CreateScoresRequest, native)
    for model in models:
        assert not model.model_extra, f"fields unknown to the SDK: {model.model_extra}"
    seen: list[httpx.Request] = []
    client(seen).scores.create(request=models)
    (request,) = seen
    assert (request.method, request.url.path) == ("POST", "/api/public/scores")
    sent = json.loads(request.content)
    assert [_normal(r) for r in sent] == [_normal(r) for r in rows]
    return models
