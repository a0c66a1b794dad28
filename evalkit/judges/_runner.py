"""``run_judges``: every judge over every (sampled) trace, concurrently, cached and cost-tracked.

One asyncio loop drives the calls: a semaphore bounds concurrency, a start-time spacer enforces
``rate_limit``, transient failures (429, 5xx, timeouts) and malformed answers are retried with
exponential backoff a bounded number of times, and every good reply is committed to the
:class:`~evalkit.judges._cache.JudgeCache` the moment it arrives. Whatever fails is still a row,
with its ``error`` filled: nothing is dropped.
"""

from __future__ import annotations

import asyncio
import functools
import hashlib
import inspect
import math
import time
from collections.abc import Collection, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from evalkit.judges._cache import JudgeCache, canonical_json, key_maker
from evalkit.judges._clients import (
    Completion,
    Judge,
    as_judge,
    cost_usd,
    is_transient,
    resolve_price,
)
from evalkit.judges._parse import JudgeOutputError, parse_answer
from evalkit.judges._run_errors import JudgeConfigError
from evalkit.judges._verdict_frame import Outcome, build_frame
from evalkit.judges.rubric import Rubric


@dataclass
class _State:
    spent: float = 0.0
    calls: int = 0
    stopped: bool = False
    interrupted: bool = False  # set from the notebook's thread on Ctrl-C / kernel interrupt


class _Spacer:
    """Start calls at most ``rate`` per second, measured from the actual previous start.

    Waiters queue on a FIFO lock; the next slot is set from the time a call really goes, so a
    stalled event loop (a slow synchronous step, a loaded machine) cannot release a burst of
    overdue calls back to back.
    """

    def __init__(self, rate: float | None) -> None:
        self.interval = 0.0 if rate is None else 1.0 / rate
        self.next = 0.0
        self.lock = asyncio.Lock()

    async def wait(self) -> None:
        if not self.interval:
            return
        async with self.lock:
            while (now := time.monotonic()) < self.next:
                await asyncio.sleep(self.next - now)
            self.next = now + self.interval


def _retry_after(exc: BaseException) -> float | None:
    headers = getattr(getattr(exc, "response", None), "headers", None)
    try:
        value = headers.get("retry-after") if headers is not None else None
        return min(float(value), 60.0) if value is not None else None
    except (TypeError, ValueError, AttributeError):
        return None


def _unpack(reply: Any, messages: list[dict[str, str]]) -> tuple[str, int, int, bool]:
    """Reply text and token usage; usage the client does not report is estimated (chars / 4)."""
    if isinstance(reply, Completion):
        text, tin, tout = reply.text, reply.input_tokens, reply.output_tokens
    elif isinstance(reply, str):
        text, tin, tout = reply, None, None
    else:
        raise JudgeOutputError(f"the client must return text or a Completion; got "
                               f"{type(reply).__name__} {reply!r:.200}.")
    if not isinstance(text, str):
        raise JudgeOutputError(f"Completion.text must be text; got {type(text).__name__}.")
    estimated = tin is None or tout is None
    if tin is None:
        tin = math.ceil(sum(len(m.get("content") or "") for m in messages) / 4)
    if tout is None:
        tout = math.ceil(len(text) / 4)
    return text, int(tin), int(tout), estimated


def trace_hash(values: Mapping[str, str]) -> str:
    """SHA-256 of the trace content a rubric's template uses (the cache's trace part)."""
    return hashlib.sha256(canonical_json(dict(values)).encode("utf-8")).hexdigest()


def _check_options(traces: Any, rubric: Any, judges: Any, concurrency: Any, max_cost: Any,
                   rate_limit: Any, max_retries: Any, backoff: Any, timeout: Any,
                   refresh: Any) -> Rubric:
    if not isinstance(traces, pd.DataFrame):
        raise JudgeConfigError(f"`traces` must be a DataFrame (e.g. from evalkit.load_traces); "
                               f"got {type(traces).__name__}.")
    if "trace_id" not in traces.columns:
        raise JudgeConfigError(f"`traces` needs a 'trace_id' column; got "
                               f"{list(map(str, traces.columns))}.")
    ids = traces["trace_id"]
    if ids.isna().any():
        raise JudgeConfigError(f"`traces` has {int(ids.isna().sum())} missing trace ids.")
    dup = ids.astype(str).duplicated()
    if dup.any():
        raise JudgeConfigError(f"`traces` lists trace {ids[dup].iloc[0]!r} more than once.")
    if isinstance(rubric, (str, Path)):
        rubric = Rubric.from_yaml(rubric)
    if not isinstance(rubric, Rubric):
        raise JudgeConfigError(f"`rubric` must be an evalkit Rubric or a YAML path; got "
                               f"{type(rubric).__name__}.")
    if not isinstance(judges, Mapping) or not judges:
        raise JudgeConfigError("`judges` must be a non-empty mapping of name -> client; got "
                               f"{judges!r:.200}.")
    for name in judges:
        if not isinstance(name, str) or not name:
            raise JudgeConfigError(f"judge names must be non-empty strings; got {name!r}.")
    checks = [
        ("concurrency", concurrency, isinstance(concurrency, int) and concurrency >= 1,
         "an integer >= 1"),
        ("max_cost", max_cost, max_cost is None or (isinstance(max_cost, (int, float))
                                                    and math.isfinite(max_cost)
                                                    and max_cost >= 0), "None or a cost >= 0"),
        ("rate_limit", rate_limit, rate_limit is None or (isinstance(rate_limit, (int, float))
                                                          and rate_limit > 0),
         "None or calls per second > 0"),
        ("max_retries", max_retries, isinstance(max_retries, int) and max_retries >= 0,
         "an integer >= 0"),
        ("backoff", backoff, isinstance(backoff, (int, float)) and backoff >= 0, "seconds >= 0"),
        ("timeout", timeout, timeout is None or (isinstance(timeout, (int, float))
                                                 and timeout > 0), "None or seconds > 0"),
    ]
    for name, value, ok, allowed in checks:
        if not ok or isinstance(value, bool):
            raise JudgeConfigError(f"`{name}` must be {allowed}; got {value!r}.")
    if not isinstance(refresh, bool):
        unknown = sorted(set(refresh) - set(judges)) if isinstance(refresh, Collection) else None
        if unknown is None or isinstance(refresh, str) or unknown:
            raise JudgeConfigError(f"`refresh` must be True, False or a list of judge names "
                                   f"{sorted(judges)}; got {refresh!r}.")
    return rubric


def _sample(traces: pd.DataFrame, sample: Any, by: str, rng: Any) -> pd.DataFrame:
    from evalkit.sampling import sample as sample_traces

    if isinstance(sample, (int, float)) and not isinstance(sample, bool):
        rates: Mapping[Any, float] = {"*": float(sample)}
    elif isinstance(sample, Mapping):
        rates = sample
    else:
        raise JudgeConfigError(f"`sample` must be a rate in [0, 1] or a mapping of segment -> "
                               f"rate like {{'data_privacy': 1.0, '*': 0.1}}; got {sample!r}.")
    if by not in traces.columns and set(rates) - {"*", "default"}:
        raise JudgeConfigError(f"`sample` rates by segment need a {by!r} column in `traces`.")
    if by not in traces.columns:
        traces = traces.assign(**{by: "all"})
    return sample_traces(traces, rates=rates, by=by, rng=rng).reset_index(drop=True)


def run_judges(
    traces: pd.DataFrame,
    rubric: Rubric | str | Path,
    judges: Mapping[str, Any],
    *,
    cache: str | Path | JudgeCache | None = "judge_cache.sqlite",
    concurrency: int = 8,
    max_cost: float | None = None,
    sample: float | Mapping[Any, float] | None = None,
    sample_by: str = "segment",
    refresh: bool | Collection[str] = False,
    rate_limit: float | None = None,
    max_retries: int = 3,
    backoff: float = 0.5,
    timeout: float | None = 120.0,
    prices: Mapping[str, tuple[float, float]] | None = None,
    progress: bool = True,
    rng: np.random.Generator | int | None = None,
) -> pd.DataFrame:
    """Run every judge on every trace against a rubric; cached, concurrent and cost-tracked.

    Parameters
    ----------
    traces : DataFrame
        One row per trace with a unique ``trace_id`` (the canonical trace frame, or any frame
        with the columns the rubric's template uses: ``input``, ``output``, ``retrieved``...).
    rubric : Rubric or path
        The rubric (or its YAML file).
    judges : mapping
        Judge name -> :class:`~evalkit.judges.Judge`, or a bare callable
        ``client(messages, **params) -> str | Completion`` (sync or async; its model is the name).
    cache : path, JudgeCache or None, default ``"judge_cache.sqlite"``
        Replies are stored by (rubric hash, model, params, trace content hash). ``None`` disables.
    concurrency : int, default 8
        Calls in flight at once.
    max_cost : float, optional
        Stop starting calls once this many US dollars have been spent in this run (calls in
        flight finish). Traces not judged get rows whose ``error`` says so.
    sample : float or mapping, optional
        Judge a sample: one rate, or rates per ``sample_by`` value as in :func:`evalkit.sample`
        (``{"data_privacy": 1.0, "*": 0.1}``). Rows then carry ``sample_weight``.
    sample_by : str, default 'segment'
    refresh : bool or list of str, default False
        Call again even when cached (all judges, or the named ones).
    rate_limit : float, optional
        At most this many call starts per second, over all judges.
    max_retries : int, default 3
        Retries after a transient error (429, 5xx, timeout, connection) or a malformed answer.
    backoff : float, default 0.5
        First retry delay in seconds, doubled each time, with jitter; a ``Retry-After`` header
        wins.
    timeout : float or None, default 120
        Seconds per call.
    prices : mapping, optional
        Model -> (USD per million input tokens, per million output tokens); extends and
        overrides :data:`~evalkit.judges.DEFAULT_PRICES`.
    progress : bool, default True
        A tqdm progress bar with the running cost.
    rng : Generator, int or None
        Seeds the sample and the retry jitter.

    Returns
    -------
    DataFrame
        One row per (trace, judge, criterion), plus an ``overall`` row per (trace, judge) for
        rubrics with several criteria (pass when every criterion passes; score = lowest score):
        ``trace_id, judge, criterion, verdict, score, explanation, model, input_tokens,
        output_tokens, tokens_estimated, cost_usd, latency_ms, cache_hit, attempts, error,
        rubric, rubric_version, rubric_hash`` (and ``segment``, ``sample_weight`` when known).
        ``cost_usd`` is what this run paid (0 for cache hits). ``attrs["judge_run"]`` holds the
        totals and whether ``max_cost`` stopped the run.

    Raises
    ------
    JudgeConfigError
        Bad traces, judges or options; :class:`PriceMissingError` when a judge's model has no
        price (raised before any call).
    RubricError, JudgeCacheError
        A rubric that does not validate; a cache file that is foreign or newer.

    Examples
    --------
    >>> import pandas as pd
    >>> from evalkit.judges import Judge, load_example_rubric
    >>> rubric = load_example_rubric("support_bot_binary")
    >>> yes = '{' + ", ".join(f'"{c}": "pass"' for c in rubric.criteria) + '}'
    >>> judges = {"fake": Judge(lambda messages, **p: yes, model="fake-1", price=(1.0, 2.0))}
    >>> traces = pd.DataFrame({"trace_id": ["t1", "t2"], "input": ["hi", "refund?"],
    ...                        "output": ["Hello! Click Help.", "Open Billing > Refunds."]})
    >>> out = run_judges(traces, rubric, judges, cache=None, progress=False)
    >>> out.query("criterion == 'overall'")[["trace_id", "verdict"]].to_dict("list")
    {'trace_id': ['t1', 't2'], 'verdict': ['pass', 'pass']}
    """
    rubric = _check_options(traces, rubric, judges, concurrency, max_cost, rate_limit,
                            max_retries, backoff, timeout, refresh)
    specs = {name: as_judge(name, value) for name, value in judges.items()}
    price = {name: resolve_price(name, j, prices) for name, j in specs.items()}
    gen = np.random.default_rng(rng)
    if sample is not None:
        traces = _sample(traces, sample, sample_by, gen)
    own_cache = cache is not None and not isinstance(cache, JudgeCache)
    store = cache if isinstance(cache, JudgeCache) or cache is None else JudgeCache(cache)
    try:
        return _run(traces, rubric, specs, price, store, concurrency=concurrency,
                    max_cost=max_cost, refresh=refresh, rate_limit=rate_limit,
                    max_retries=max_retries, backoff=backoff, timeout=timeout,
                    progress=progress, gen=gen)
    finally:
        if own_cache and store is not None:
            store.close()


def _run(traces: pd.DataFrame, rubric: Rubric, specs: dict[str, Judge],
         price: dict[str, tuple[float, float]], store: JudgeCache | None, *, concurrency: int,
         max_cost: float | None, refresh: bool | Collection[str], rate_limit: float | None,
         max_retries: int, backoff: float, timeout: float | None, progress: bool,
         gen: np.random.Generator) -> pd.DataFrame:
    rhash = rubric.content_hash
    records: list[dict[str, Any]] = [{str(k): v for k, v in r.items()}
                                      for r in traces.to_dict("records")]
    thash = [trace_hash(rubric.template_values(r)) for r in records]
    makers = {name: key_maker(rhash, j.model, j.params) for name, j in specs.items()}
    keys = {name: [make(h) for h in thash] for name, make in makers.items()}
    refreshing = set(specs) if refresh is True else set(refresh or ())
    cached = {}
    if store is not None:
        lookup = [k for name, ks in keys.items() if name not in refreshing for k in ks]
        cached = store.get_many(lookup)
    outcomes: dict[tuple[str, str], Outcome] = {}
    todo: dict[tuple[str, str], int] = {}  # (judge, key) -> first row index
    # trace-major order: a run stopped by max_cost leaves whole traces judged by every judge
    for i in range(len(records)):
        for name, ks in keys.items():
            k = ks[i]
            hit = cached.get(k) if name not in refreshing else None
            if hit is not None:
                outcomes[(name, k)] = Outcome.from_cache(hit)
            else:
                todo.setdefault((name, k), i)
    state = _State()
    if todo:
        coro = _call_all(todo, records, rubric, specs, price, store, thash, state,
                         concurrency=concurrency, max_cost=max_cost, rate_limit=rate_limit,
                         max_retries=max_retries, backoff=backoff, timeout=timeout,
                         progress=progress, gen=gen, n_cached=len(outcomes))
        outcomes.update(_run_coroutine(coro, state))
    frame = build_frame(records, rubric, specs, keys, outcomes)
    frame.attrs["judge_run"] = {
        "rubric": rubric.name, "rubric_hash": rhash, "n_traces": len(records),
        "n_calls": state.calls, "n_cache_hits": sum(o.cache_hit for o in outcomes.values()),
        "cost_usd": state.spent, "max_cost": max_cost, "stopped": state.stopped,
        "n_errors": sum(o.error is not None for o in outcomes.values()),
    }
    return frame


def _call_sync(client: Any, messages: list[dict[str, str]], params: Mapping[str, Any]) -> Any:
    try:
        return client(messages, **params)
    except StopIteration as e:  # cannot cross into an asyncio future (it would hang the run)
        raise RuntimeError(f"the client raised StopIteration {e}".rstrip()) from None


def _run_coroutine(coro: Any, state: _State) -> Any:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)  # Ctrl-C cancels the calls in flight; stored replies stay
    # inside a running loop (Jupyter): run ours on a fresh loop in a worker thread
    with ThreadPoolExecutor(1) as ex:
        future = ex.submit(asyncio.run, coro)
        try:
            return future.result()
        except KeyboardInterrupt:
            # start no new calls, let the ones in flight finish and be stored, then stop
            state.interrupted = True
            future.result()
            raise


async def _call_all(todo: dict[tuple[str, str], int], records: list[dict[str, Any]],
                    rubric: Rubric, specs: dict[str, Judge],
                    price: dict[str, tuple[float, float]], store: JudgeCache | None,
                    thash: list[str], state: _State, *, concurrency: int,
                    max_cost: float | None, rate_limit: float | None, max_retries: int,
                    backoff: float, timeout: float | None, progress: bool,
                    gen: np.random.Generator, n_cached: int) -> dict[tuple[str, str], Outcome]:
    from tqdm.auto import tqdm

    sem = asyncio.Semaphore(concurrency)
    rhash = rubric.content_hash
    spacer = _Spacer(rate_limit)
    sync = [n for n, j in specs.items() if not _is_async(j.client)]
    pool = ThreadPoolExecutor(max_workers=concurrency) if sync else None
    loop = asyncio.get_running_loop()
    bar = tqdm(total=len(todo) + n_cached, initial=n_cached, disable=not progress,
               unit="call", desc=f"judging with {rubric.name} v{rubric.version}")

    async def invoke(judge: Judge, messages: list[dict[str, str]]) -> Any:
        if pool is None or _is_async(judge.client):
            reply = judge.client(messages, **judge.params)
        else:
            reply = await loop.run_in_executor(
                pool, functools.partial(_call_sync, judge.client, messages, judge.params))
        if inspect.isawaitable(reply):
            reply = await reply
        return reply

    async def one(name: str, key: str, row: int) -> tuple[tuple[str, str], Outcome]:
        judge = specs[name]
        messages: list[dict[str, str]] | None = None
        out = Outcome()
        while True:
            text: str | None = None
            delay: float | None = None
            async with sem:
                if state.stopped or state.interrupted:
                    why = ("interrupted" if state.interrupted
                           else f"max_cost {max_cost:g} USD reached")
                    out.error = out.error or (f"not judged: {why} (rerun to resume from the "
                                              "cache)")
                    out.skipped = True
                    break
                if messages is None:
                    messages = rubric.render(records[row])
                await spacer.wait()
                out.attempts += 1
                state.calls += 1
                t0 = time.perf_counter()
                try:
                    async with asyncio.timeout(timeout):
                        reply = await invoke(judge, messages)
                    text, tin, tout, est = _unpack(reply, messages)
                except JudgeOutputError as e:
                    out.error, delay = f"malformed answer: {e}", 0.0
                except Exception as e:  # a client may raise anything: record it, never drop
                    out.error = f"{type(e).__name__}: {e}" if str(e) else type(e).__name__
                    if isinstance(e, TimeoutError) and not str(e):
                        out.error = f"TimeoutError: no reply within {timeout:g} s"
                    if is_transient(e):
                        delay = _retry_after(e)
                        if delay is None:
                            delay = backoff * 2 ** (out.attempts - 1) * (0.5 + gen.random())
                else:
                    cost = cost_usd(price[name], tin, tout)
                    out.add_usage(tin, tout, est, cost)
                    out.raw_text = text
                    state.spent += cost
                out.latency_ms = (time.perf_counter() - t0) * 1000
                if max_cost is not None and state.spent >= max_cost:
                    state.stopped = True
                if text is None and delay and out.attempts <= max_retries:
                    await asyncio.sleep(delay)  # back off holding the slot: less pressure on 429
            if text is None:
                if delay is not None and out.attempts <= max_retries:
                    continue
                break
            # the slot is free: let waiting calls start before this one's parsing and storing
            await asyncio.sleep(0)
            await asyncio.sleep(0)
            try:
                answer = parse_answer(text, rubric)
            except JudgeOutputError as e:
                out.error = f"malformed answer: {e}"
                if out.attempts <= max_retries:
                    continue
                break
            out.set_answer(answer)
            if store is not None:
                store.put(key, rubric_hash=rhash, judge_model=judge.model,
                          judge_params=judge.params, trace_hash=thash[row],
                          answer=out.answer or {}, raw_text=text,
                          input_tokens=out.input_tokens, output_tokens=out.output_tokens,
                          cost_usd=out.cost_usd, latency_ms=out.latency_ms,
                          attempts=out.attempts)
            break
        bar.update(1)
        if progress:
            bar.set_postfix_str(f"${state.spent:.4f}", refresh=False)
        return (name, key), out

    try:
        results = await asyncio.gather(*(one(n, k, i) for (n, k), i in todo.items()))
    finally:
        bar.close()
        if pool is not None:
            pool.shutdown(wait=False, cancel_futures=True)
    return dict(results)


@functools.lru_cache(maxsize=256)
def _is_async_cached(client: Any) -> bool:
    return inspect.iscoroutinefunction(client) or inspect.iscoroutinefunction(
        getattr(client, "__call__", None))  # noqa: B004


def _is_async(client: Any) -> bool:
    try:
        return _is_async_cached(client)
    except TypeError:  # unhashable callable
        return inspect.iscoroutinefunction(client) or inspect.iscoroutinefunction(
            getattr(client, "__call__", None))  # noqa: B004
