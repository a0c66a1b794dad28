"""Judge clients: the callable protocol, the :class:`Judge` spec, prices, and API adapters.

A client is any callable ``client(messages, **params)`` returning the reply text, or a
:class:`Completion` (text plus token usage), or an awaitable of either. :func:`openai_judge` wraps
any OpenAI-compatible chat API (the ``openai`` package, ``pip install evalkit[openai]``);
:func:`litellm_judge` wraps LiteLLM when it is installed.
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Callable, Mapping
from dataclasses import KW_ONLY, dataclass, field
from typing import Any, Protocol

from evalkit.judges._run_errors import JudgeConfigError, PriceMissingError

Messages = list[dict[str, str]]

#: USD per million tokens, (input, output), list prices in 2025. Override with ``prices=``.
DEFAULT_PRICES: dict[str, tuple[float, float]] = {
    "gpt-4o": (2.50, 10.00),
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4.1": (2.00, 8.00),
    "gpt-4.1-mini": (0.40, 1.60),
    "gpt-4.1-nano": (0.10, 0.40),
    "o4-mini": (1.10, 4.40),
    "claude-3-5-haiku": (0.80, 4.00),
    "claude-3-5-sonnet": (3.00, 15.00),
    "claude-sonnet-4": (3.00, 15.00),
    "gemini-2.0-flash": (0.10, 0.40),
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Completion:
    """A judge reply with its token usage (``None`` when the client does not report it)."""

    text: str
    input_tokens: int | None = None
    output_tokens: int | None = None


class JudgeClient(Protocol):
    """``client(messages, **params) -> str | Completion`` (or an awaitable of one)."""

    def __call__(self, messages: Messages, **params: Any) -> Any:  # pragma: no cover
        """Return the judge's reply to the chat ``messages``."""


@dataclass(frozen=True, slots=True)
class Judge:
    """A judge: a client, the pinned model version, its parameters and (optionally) its price.

    ``model`` and ``params`` are part of the cache key: pin a dated model version, because
    temperature 0 is not determinism.

    Examples
    --------
    >>> j = Judge(lambda messages, **p: '{"q": "pass"}', model="my-model-2025-01-01",
    ...           price=(0.15, 0.60))
    >>> j.params
    {'temperature': 0}
    """

    client: Callable[..., Any]
    _: KW_ONLY
    model: str
    params: Mapping[str, Any] = field(default_factory=lambda: {"temperature": 0})
    price: tuple[float, float] | None = None


def as_judge(name: str, value: Any) -> Judge:
    """A :class:`Judge` from a ``judges`` mapping value (a Judge or a bare callable)."""
    if isinstance(value, Judge):
        judge = value
    elif callable(value):
        judge = Judge(client=value, model=str(getattr(value, "model", name)),
                      params=dict(getattr(value, "params", {"temperature": 0})),
                      price=getattr(value, "price", None))
    else:
        raise JudgeConfigError(f"judge {name!r} must be a callable client or an "
                               f"evalkit.judges.Judge; got {type(value).__name__}.")
    if not callable(judge.client):
        raise JudgeConfigError(f"judge {name!r}: `client` must be callable; got "
                               f"{type(judge.client).__name__}.")
    if not isinstance(judge.model, str) or not judge.model:
        raise JudgeConfigError(f"judge {name!r}: `model` must be a non-empty string; got "
                               f"{judge.model!r}.")
    if not isinstance(judge.params, Mapping):
        raise JudgeConfigError(f"judge {name!r}: `params` must be a mapping; got "
                               f"{type(judge.params).__name__}.")
    return judge


def _check_price(where: str, price: Any) -> tuple[float, float]:
    try:
        a, b = (float(x) for x in price)
    except (TypeError, ValueError):
        raise JudgeConfigError(f"{where}: a price is (input, output) USD per million tokens; got "
                               f"{price!r}.") from None
    if not (a >= 0 and b >= 0):
        raise JudgeConfigError(f"{where}: prices must be >= 0; got {price!r}.")
    return a, b


def resolve_price(name: str, judge: Judge,
                  prices: Mapping[str, Any] | None) -> tuple[float, float]:
    """Price of a judge: ``judge.price``, else ``prices``/:data:`DEFAULT_PRICES` by model.

    A dated model (``gpt-4o-2024-08-06``) falls back to the longest listed prefix (``gpt-4o``).

    Raises
    ------
    PriceMissingError
        No price is known for the model.

    Examples
    --------
    >>> j = Judge(print, model="gpt-4o-mini-2024-07-18")
    >>> resolve_price("j", j, None)
    (0.15, 0.6)
    """
    if judge.price is not None:
        return _check_price(f"judge {name!r}", judge.price)
    table = {**DEFAULT_PRICES, **(prices or {})}
    if judge.model in table:
        return _check_price(f"prices[{judge.model!r}]", table[judge.model])
    prefixes = [m for m in table if judge.model.startswith(m + "-")]
    if prefixes:
        best = max(prefixes, key=len)
        return _check_price(f"prices[{best!r}]", table[best])
    raise PriceMissingError(
        f"judge {name!r}: no price for model {judge.model!r}. Pass prices={{{judge.model!r}: "
        "(input_usd_per_1m_tokens, output_usd_per_1m_tokens)}} (0 for a free or local model) or "
        f"Judge(price=...); known models: {sorted(table)}.")


def cost_usd(price: tuple[float, float], input_tokens: int, output_tokens: int) -> float:
    """Cost in USD of one call at ``price`` (USD per million input and output tokens)."""
    return (input_tokens * price[0] + output_tokens * price[1]) / 1e6


def status_code(exc: BaseException) -> int | None:
    """The HTTP status an API exception carries (``status_code`` or ``response.status_code``)."""
    code = getattr(exc, "status_code", None)
    if code is None:
        code = getattr(getattr(exc, "response", None), "status_code", None)
    return code if isinstance(code, int) else None


def is_transient(exc: BaseException) -> bool:
    """Worth retrying: rate limits (429), server errors (5xx), timeouts, dropped connections.

    Examples
    --------
    >>> is_transient(TimeoutError()), is_transient(ValueError("bad request"))
    (True, False)
    """
    code = status_code(exc)
    if code is not None:
        return code in (408, 409, 429) or code >= 500
    if isinstance(exc, (TimeoutError, asyncio.TimeoutError, ConnectionError)):
        return True
    name = type(exc).__name__
    return "Timeout" in name or "Connection" in name or "RateLimit" in name


class _OpenAIChat:
    """Async callable over ``openai.AsyncOpenAI.chat.completions.create`` (one client per loop)."""

    def __init__(self, model: str, factory: Callable[[], Any], json_mode: bool) -> None:
        self.model = model
        self._factory = factory
        self._json_mode = json_mode
        self._clients: dict[int, Any] = {}

    async def __call__(self, messages: Messages, **params: Any) -> Completion:
        loop = asyncio.get_running_loop()
        client = self._clients.get(id(loop))
        if client is None:
            client = self._clients[id(loop)] = self._factory()
        extra = {"response_format": {"type": "json_object"}} if self._json_mode else {}
        resp = await client.chat.completions.create(model=self.model, messages=messages,
                                                    **extra, **params)
        usage = getattr(resp, "usage", None)
        text = resp.choices[0].message.content if resp.choices else None
        return Completion(text=text if text is not None else "",
                          input_tokens=getattr(usage, "prompt_tokens", None),
                          output_tokens=getattr(usage, "completion_tokens", None))


def openai_judge(
    model: str,
    *,
    base_url: str | None = None,
    api_key: str | None = None,
    http_client: Any = None,
    json_mode: bool = True,
    price: tuple[float, float] | None = None,
    **params: Any,
) -> Judge:
    """A judge over an OpenAI-compatible chat completions API (OpenAI, vLLM, Ollama, Azure...).

    Needs the ``openai`` package (``pip install 'evalkit[openai]'``). evalkit does the retrying,
    so the SDK's own retries are turned off.

    Parameters
    ----------
    model : str
        A pinned model version, e.g. ``"gpt-4o-2024-08-06"``.
    base_url, api_key : str, optional
        Passed to ``openai.AsyncOpenAI`` (defaults: the SDK's environment variables).
    http_client : httpx.AsyncClient, optional
        E.g. one with an ``httpx.MockTransport`` in tests.
    json_mode : bool, default True
        Ask for ``response_format={"type": "json_object"}``.
    price : (float, float), optional
        USD per million input and output tokens (default: the price table).
    **params
        Sent with every request and part of the cache key (default ``temperature=0``).

    Returns
    -------
    Judge

    Raises
    ------
    JudgeConfigError
        The ``openai`` package is not installed.
    """
    try:
        openai = importlib.import_module("openai")
    except ImportError:
        raise JudgeConfigError("openai_judge needs the `openai` package: pip install "
                               "'evalkit[openai]'.") from None

    def factory() -> Any:
        # api_key None: the SDK reads OPENAI_API_KEY (a missing key becomes an error row)
        return openai.AsyncOpenAI(base_url=base_url, api_key=api_key, http_client=http_client,
                                  max_retries=0)

    params = {"temperature": 0, **params}
    return Judge(client=_OpenAIChat(model, factory, json_mode), model=model, params=params,
                 price=price)


def litellm_judge(model: str, *, price: tuple[float, float] | None = None,
                  **params: Any) -> Judge:
    """A judge over LiteLLM's ``acompletion`` (any provider LiteLLM supports), if installed.

    Raises
    ------
    JudgeConfigError
        LiteLLM is not installed.
    """
    try:
        litellm = importlib.import_module("litellm")
    except ImportError:
        raise JudgeConfigError("litellm_judge needs the `litellm` package: pip install "
                               "litellm.") from None

    async def call(messages: Messages, **kw: Any) -> Completion:
        resp = await litellm.acompletion(model=model, messages=messages, **kw)
        usage = getattr(resp, "usage", None)
        return Completion(text=resp.choices[0].message.content or "",
                          input_tokens=getattr(usage, "prompt_tokens", None),
                          output_tokens=getattr(usage, "completion_tokens", None))

    return Judge(client=call, model=model, params={"temperature": 0, **params}, price=price)


def is_async_client(client: Callable[..., Any]) -> bool:
    """True when calling ``client`` returns a coroutine (async def function or ``__call__``)."""
    import inspect

    return inspect.iscoroutinefunction(client) or inspect.iscoroutinefunction(
        getattr(client, "__call__", None))  # noqa: B004

