"""run_judges with fake clients: retries, timeouts, rate limit, concurrency, cache, cost."""

from __future__ import annotations

import asyncio
import math
import sqlite3
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from evalkit.judges import (
    Completion,
    Judge,
    JudgeCache,
    JudgeCacheError,
    JudgeConfigError,
    PriceMissingError,
    Rubric,
    run_judges,
    summarize_run,
)


def _run(traces, rubric, judges, **kw):
    kw.setdefault("cache", None)
    kw.setdefault("progress", False)
    kw.setdefault("backoff", 0.0)
    return run_judges(traces, rubric, judges, **kw)


def test_frame_shape_and_columns(traces, two_question_rubric, fakes) -> None:
    c = fakes.Scripted(fakes.answer_for(two_question_rubric))
    out = _run(traces, two_question_rubric, {"a": fakes.judge(c), "b": fakes.judge(c)})
    # 12 traces x 2 judges x (2 questions + overall)
    assert len(out) == 12 * 2 * 3
    assert out[["trace_id", "judge", "criterion"]].drop_duplicates().shape[0] == len(out)
    assert list(out.columns[:6]) == ["trace_id", "judge", "criterion", "verdict", "score",
                                     "explanation"]
    assert {"segment", "rubric_hash", "cache_hit", "error", "latency_ms"} <= set(out.columns)
    assert out["trace_id"].tolist()[:6] == ["t00"] * 6  # trace order, then judge
    assert set(out["rubric_hash"]) == {two_question_rubric.content_hash}


def test_overall_row_is_all_pass_and_lowest_score(traces, two_question_rubric, fakes) -> None:
    reply = '{"grounded": {"verdict": "fail", "explanation": "made up"}, "next_step": "pass"}'
    out = _run(traces.head(1), two_question_rubric, {"a": fakes.judge(fakes.Scripted(reply))})
    assert out["verdict"].tolist() == ["fail", "pass", "fail"]
    assert out["score"].tolist() == [0.0, 1.0, 0.0]
    assert out["explanation"].iloc[2] == "failed: grounded"


def test_transient_errors_are_retried_with_backoff(traces, binary_rubric, fakes) -> None:
    ok = fakes.answer_for(binary_rubric)
    c = fakes.Scripted(ok, [fakes.HTTPError(429), fakes.HTTPError(503), TimeoutError()])
    t0 = time.perf_counter()
    out = _run(traces.head(1), binary_rubric, {"a": fakes.judge(c)}, backoff=0.02, rng=0)
    elapsed = time.perf_counter() - t0
    assert out["error"].isna().all() and out["verdict"].tolist() == ["pass"]
    assert out["attempts"].tolist() == [4] and len(c.calls) == 4
    # backoff 0.02 * (1 + 2 + 4) * jitter in [0.5, 1.5): at least 0.07 s of waiting
    assert elapsed >= 0.07


def test_non_transient_errors_are_not_retried_and_become_rows(traces, binary_rubric,
                                                              fakes) -> None:
    c = fakes.Scripted(fakes.answer_for(binary_rubric), [fakes.HTTPError(400, "bad request"),
                                                          ValueError("boom")])
    out = _run(traces.head(3), binary_rubric, {"a": fakes.judge(c)}, concurrency=1)
    assert out["error"].tolist()[:2] == ["HTTPError: bad request", "ValueError: boom"]
    assert out["verdict"].tolist() == [None, None, "pass"]
    assert math.isnan(out["score"].iloc[0]) and out["attempts"].tolist() == [1, 1, 1]


def test_retries_are_bounded(traces, binary_rubric, fakes) -> None:
    c = fakes.Scripted(fakes.HTTPError(500, "down"))
    out = _run(traces.head(1), binary_rubric, {"a": fakes.judge(c)}, max_retries=2)
    assert len(c.calls) == 3 and out["attempts"].item() == 3
    assert out["error"].item() == "HTTPError: down"


def test_malformed_answers_are_retried_then_recorded_and_paid_for(traces, binary_rubric,
                                                                  fakes) -> None:
    good = fakes.answer_for(binary_rubric)
    c = fakes.Scripted(good, ['{"next_step": "perhaps"}', "not json"])
    out = _run(traces.head(1), binary_rubric, {"a": fakes.judge(c, price=(1.0, 2.0))})
    assert out["verdict"].item() == "pass" and out["attempts"].item() == 3
    # three replies of 100 input + 20 output tokens at $1/$2 per million: 3 * 140e-6
    assert out["cost_usd"].item() == pytest.approx(3 * (100 * 1 + 20 * 2) / 1e6)
    bad = fakes.Scripted("still not json")
    out = _run(traces.head(1), binary_rubric, {"a": fakes.judge(bad)}, max_retries=1)
    assert out["verdict"].isna().all() and len(bad.calls) == 2
    assert out["error"].item().startswith("malformed answer: no JSON object")


def test_garbage_return_types_are_malformed(traces, binary_rubric, fakes) -> None:
    c = fakes.Scripted(None, usage=None)
    out = _run(traces.head(1), binary_rubric, {"a": fakes.judge(c)}, max_retries=0)
    assert "must return text or a Completion; got NoneType" in out["error"].item()


def test_timeouts_become_error_rows(traces, binary_rubric, fakes) -> None:
    slow = fakes.AsyncSleeper(fakes.answer_for(binary_rubric), delay=5.0)
    t0 = time.perf_counter()
    out = _run(traces.head(2), binary_rubric, {"a": fakes.judge(slow)}, timeout=0.05,
               max_retries=1)
    assert time.perf_counter() - t0 < 2.0
    assert out["error"].tolist() == ["TimeoutError: no reply within 0.05 s"] * 2
    assert out["attempts"].tolist() == [2, 2]


def test_concurrency_is_bounded(traces, binary_rubric, fakes) -> None:
    c = fakes.AsyncSleeper(fakes.answer_for(binary_rubric), delay=0.05)
    many = pd.concat([traces.assign(trace_id=traces["trace_id"] + f"_{k}",
                                    output=traces["output"] + f" {k}") for k in range(3)])
    out = _run(many, binary_rubric, {"a": fakes.judge(c)}, concurrency=4)
    assert c.peak == 4 and len(c.starts) == 36 and out["error"].isna().all()


def test_sync_clients_run_concurrently_in_threads(traces, binary_rubric, fakes) -> None:
    lock, in_flight, peak = threading.Lock(), [0], [0]

    def slow(messages, **params):
        with lock:
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
        time.sleep(0.1)
        with lock:
            in_flight[0] -= 1
        return fakes.answer_for(binary_rubric)

    out = _run(traces, binary_rubric, {"a": fakes.judge(slow)}, concurrency=12)
    # 12 calls of 0.1 s each: one at a time, the peak would be 1 (counted, not timed: a loaded
    # machine slows the run, not the overlap)
    assert len(out) == 12 and out["error"].isna().all()
    assert peak[0] >= 6


def _assert_spaced(starts: list[float], *, interval: float) -> None:
    """Starts honour a spacing of ``interval`` s, allowing for the scheduler's jitter.

    The spacer releases calls ``interval`` apart; the client records its start a few statements
    later, so a process the OS preempts in between (two pytest processes and Chromium on two
    cores) records one start late and the next gap short by the same amount -- in CI once by
    12 ms. A burst of overdue calls, the defect these tests guard against, starts them well
    under a millisecond apart; half an interval tells the two apart. Over the whole run no
    jitter can make the calls start faster than the rate.
    """
    gaps = np.diff(sorted(starts))
    assert gaps.min() >= interval / 2, gaps
    assert np.median(gaps) >= 0.9 * interval, gaps
    assert sorted(starts)[-1] - sorted(starts)[0] >= (len(starts) - 1) * 0.9 * interval


def test_rate_limit_spaces_call_starts(traces, binary_rubric, fakes) -> None:
    c = fakes.AsyncSleeper(fakes.answer_for(binary_rubric))
    _run(traces.head(10), binary_rubric, {"a": fakes.judge(c)}, concurrency=10, rate_limit=20)
    _assert_spaced(c.starts, interval=0.05)


def test_rate_limit_holds_after_the_event_loop_stalls(traces, binary_rubric, fakes) -> None:
    # One call blocks the event loop for 0.3 s (a slow synchronous step, or a loaded machine):
    # the calls whose start slots passed meanwhile must not then start back to back.
    c = fakes.AsyncSleeper(fakes.answer_for(binary_rubric))
    original = c.__call__

    async def stalling(messages, **params):
        third = len(c.starts) == 2
        reply = await original(messages, **params)
        if third:
            time.sleep(0.3)  # blocks the loop after this call started
        return reply

    _run(traces.head(10), binary_rubric, {"a": fakes.judge(stalling)}, concurrency=10,
         rate_limit=20)
    assert len(c.starts) == 10
    _assert_spaced(c.starts, interval=0.05)


def test_rerun_hits_the_cache_with_zero_calls(traces, two_question_rubric, fakes,
                                              tmp_path: Path) -> None:
    c = fakes.Scripted(lambda m: fakes.answer_for(two_question_rubric,
                                                  "pass" if "1" in m[-1]["content"] else "fail"))
    judges = {"a": fakes.judge(c), "b": fakes.judge(c, model="fake-2")}
    cache = tmp_path / "cache.sqlite"
    first = _run(traces, two_question_rubric, judges, cache=cache)
    assert len(c.calls) == 24 and not first["cache_hit"].any()
    second = _run(traces, two_question_rubric, judges, cache=cache)
    assert len(c.calls) == 24 and second["cache_hit"].all()
    assert second.attrs["judge_run"]["n_calls"] == 0 and second["cost_usd"].sum() == 0
    cols = ["trace_id", "judge", "criterion", "verdict", "score", "explanation",
            "input_tokens", "output_tokens"]
    pd.testing.assert_frame_equal(first[cols], second[cols])
    _run(traces, two_question_rubric, judges, cache=cache, refresh=["b"])
    assert len(c.calls) == 36
    _run(traces, two_question_rubric, judges, cache=cache, refresh=True)
    assert len(c.calls) == 60


def test_cache_key_covers_rubric_model_params_and_content(traces, binary_rubric, fakes,
                                                          tmp_path: Path) -> None:
    c = fakes.Scripted(fakes.answer_for(binary_rubric))
    cache = tmp_path / "c.sqlite"
    head = traces.head(2)
    _run(head, binary_rubric, {"a": fakes.judge(c)}, cache=cache)
    assert len(c.calls) == 2
    changed = Rubric.from_dict({**binary_rubric.to_dict(), "version": "2"})
    _run(head, changed, {"a": fakes.judge(c)}, cache=cache)
    assert len(c.calls) == 4
    _run(head, binary_rubric, {"a": Judge(c, model="fake-1", params={"temperature": 0.3},
                                          price=(0, 0))}, cache=cache)
    assert len(c.calls) == 6
    _run(head.assign(output=["edited", "answer number 1"]), binary_rubric,
         {"a": fakes.judge(c)}, cache=cache)
    assert len(c.calls) == 7  # only the edited trace misses
    # the trace id is not content: renaming traces still hits
    _run(head.assign(trace_id=["x", "y"]), binary_rubric, {"a": fakes.judge(c)}, cache=cache)
    assert len(c.calls) == 7


def test_duplicate_content_is_called_once_and_paid_once(binary_rubric, fakes) -> None:
    c = fakes.Scripted(fakes.answer_for(binary_rubric))
    same = pd.DataFrame({"trace_id": ["a", "b"], "input": ["q", "q"], "output": ["r", "r"]})
    out = _run(same, binary_rubric, {"a": fakes.judge(c)})
    assert len(c.calls) == 1 and out["verdict"].tolist() == ["pass", "pass"]
    assert out["cost_usd"].tolist() == [pytest.approx(140e-6), 0.0]


def test_cost_from_usage_and_estimated_tokens(traces, binary_rubric, fakes) -> None:
    known = fakes.Scripted(fakes.answer_for(binary_rubric), usage=(1000, 200))
    out = _run(traces, binary_rubric, {"a": fakes.judge(known, price=(2.5, 10.0))})
    # 12 calls x (1000 * 2.5 + 200 * 10) / 1e6
    assert out["cost_usd"].sum() == pytest.approx(12 * 4500 / 1e6)
    assert out.attrs["judge_run"]["cost_usd"] == pytest.approx(12 * 4500 / 1e6)
    assert not out["tokens_estimated"].any()
    reply = fakes.answer_for(binary_rubric)
    plain = fakes.Scripted(reply, usage=None)
    out = _run(traces.head(1), binary_rubric, {"a": fakes.judge(plain, price=(0.0, 1e6))})
    # unknown usage is estimated at 4 characters per token: ceil(len(reply) / 4) output tokens
    assert out["output_tokens"].item() == math.ceil(len(reply) / 4)
    assert out["cost_usd"].item() == pytest.approx(math.ceil(len(reply) / 4))
    assert out["tokens_estimated"].all()
    s = summarize_run(out)
    assert s.frame["n_traces"].tolist() == [1] and "$" in s._repr_html_()


def test_price_table_prefix_override_and_missing(traces, binary_rubric, fakes) -> None:
    c = fakes.Scripted(fakes.answer_for(binary_rubric), usage=(1_000_000, 0))
    dated = Judge(c, model="gpt-4o-mini-2024-07-18")
    out = _run(traces.head(1), binary_rubric, {"a": dated})
    assert out["cost_usd"].item() == pytest.approx(0.15)  # gpt-4o-mini input list price
    out = _run(traces.head(1), binary_rubric, {"a": dated},
               prices={"gpt-4o-mini-2024-07-18": (1.0, 1.0)})
    assert out["cost_usd"].item() == pytest.approx(1.0)
    with pytest.raises(PriceMissingError, match="judge 'a': no price for model 'my-llm'"):
        _run(traces, binary_rubric, {"a": Judge(c, model="my-llm")})
    with pytest.raises(JudgeConfigError, match="a price is"):
        _run(traces, binary_rubric, {"a": Judge(c, model="m", price="cheap")})
    assert len(c.calls) == 2  # nothing was called by the failing runs


def test_max_cost_stops_cleanly_and_the_rerun_resumes(traces, binary_rubric, fakes,
                                                      tmp_path: Path) -> None:
    c = fakes.Scripted(fakes.answer_for(binary_rubric), usage=(10_000, 0))
    judges = {"a": fakes.judge(c, price=(1.0, 0.0))}  # $0.01 per call
    cache = tmp_path / "c.sqlite"
    out = _run(traces, binary_rubric, judges, cache=cache, concurrency=1, max_cost=0.05)
    assert len(c.calls) == 5
    assert out.attrs["judge_run"]["stopped"] is True
    assert out["verdict"].notna().sum() == 5
    assert out["error"].dropna().str.startswith("not judged: max_cost 0.05 USD").sum() == 7
    assert out["cost_usd"].sum() == pytest.approx(0.05)
    again = _run(traces, binary_rubric, judges, cache=cache, concurrency=1)
    assert len(c.calls) == 12 and again["error"].isna().all()
    assert again["cache_hit"].sum() == 5 and again["cost_usd"].sum() == pytest.approx(0.07)


def test_sample_rates_like_evalkit_sample(traces, binary_rubric, fakes) -> None:
    c = fakes.Scripted(fakes.answer_for(binary_rubric))
    out = _run(traces, binary_rubric, {"a": fakes.judge(c)},
               sample={"data_privacy": 1.0, "*": 0.25}, rng=0)
    seg = out.set_index("trace_id")["segment"]
    # 4 data_privacy traces all judged; ceil(0.25 * 8) = 2 billing traces
    assert (seg == "data_privacy").sum() == 4 and (seg == "billing").sum() == 2
    assert set(out.loc[out["segment"] == "billing", "sample_weight"]) == {4.0}
    out = _run(traces.drop(columns="segment"), binary_rubric, {"a": fakes.judge(c)},
               sample=0.5, rng=1)
    assert len(out) == 6
    with pytest.raises(JudgeConfigError, match="`sample` must be a rate"):
        _run(traces, binary_rubric, {"a": fakes.judge(c)}, sample="10%")
    with pytest.raises(JudgeConfigError, match="need a 'segment' column"):
        _run(traces.drop(columns="segment"), binary_rubric, {"a": fakes.judge(c)},
             sample={"vip": 1.0})


@pytest.mark.parametrize(("kw", "match"), [
    ({"concurrency": 0}, "`concurrency` must be an integer >= 1; got 0"),
    ({"max_cost": -1.0}, "`max_cost` must be None or a cost >= 0; got -1.0"),
    ({"rate_limit": 0}, "`rate_limit` must be None or calls per second > 0"),
    ({"max_retries": 1.5}, "`max_retries` must be an integer >= 0"),
    ({"timeout": 0}, "`timeout` must be None or seconds > 0"),
    ({"refresh": ["nobody"]}, "`refresh` must be True, False or a list of judge names"),
    ({"refresh": "a"}, "`refresh` must be True, False"),
])
def test_option_errors(traces, binary_rubric, fakes, kw, match) -> None:
    c = fakes.Scripted("{}")
    with pytest.raises(JudgeConfigError, match=match):
        _run(traces, binary_rubric, {"a": fakes.judge(c)}, **kw)


def test_input_errors(traces, binary_rubric, fakes) -> None:
    c = fakes.Scripted("{}")
    j = {"a": fakes.judge(c)}
    with pytest.raises(JudgeConfigError, match="`traces` must be a DataFrame"):
        _run([1, 2], binary_rubric, j)
    with pytest.raises(JudgeConfigError, match="needs a 'trace_id' column"):
        _run(traces.drop(columns="trace_id"), binary_rubric, j)
    with pytest.raises(JudgeConfigError, match="lists trace 't00' more than once"):
        _run(pd.concat([traces, traces.head(1)]), binary_rubric, j)
    with pytest.raises(JudgeConfigError, match="`rubric` must be an evalkit Rubric"):
        _run(traces, {"name": "x"}, j)
    with pytest.raises(JudgeConfigError, match="`judges` must be a non-empty mapping"):
        _run(traces, binary_rubric, {})
    with pytest.raises(JudgeConfigError, match="judge 'a' must be a callable client"):
        _run(traces, binary_rubric, {"a": "gpt-4o"})
    assert c.calls == []


def test_rubric_path_is_accepted(traces, binary_rubric, fakes, tmp_path: Path) -> None:
    binary_rubric.to_yaml(tmp_path / "r.yaml")
    c = fakes.Scripted(fakes.answer_for(binary_rubric))
    out = _run(traces.head(2), tmp_path / "r.yaml", {"a": fakes.judge(c)})
    assert set(out["rubric_hash"]) == {binary_rubric.content_hash}


def test_newer_foreign_and_corrupt_cache_files_are_refused(tmp_path: Path) -> None:
    newer = tmp_path / "newer.sqlite"
    JudgeCache(newer).close()
    with sqlite3.connect(newer) as conn:
        conn.execute("PRAGMA user_version = 99")
    with pytest.raises(JudgeCacheError, match="schema version 99 was written by a newer"):
        JudgeCache(newer)
    foreign = tmp_path / "labels.sqlite"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE events (x)")
    with pytest.raises(JudgeCacheError, match="not an evalkit judge cache"):
        JudgeCache(foreign)
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not a database at all" * 10)
    with pytest.raises(JudgeCacheError, match="not a judge cache"):
        JudgeCache(junk)


def test_runs_inside_a_running_event_loop(traces, binary_rubric, fakes) -> None:
    # Jupyter runs cells inside an event loop; run_judges must still work there
    c = fakes.AsyncSleeper(fakes.answer_for(binary_rubric), delay=0.01)

    async def cell() -> pd.DataFrame:
        return _run(traces.head(3), binary_rubric, {"a": fakes.judge(c)})

    out = asyncio.run(cell())
    assert out["verdict"].tolist() == ["pass"] * 3


def test_completion_usage_is_taken_from_async_clients(traces, binary_rubric) -> None:
    async def client(messages, **params):
        return Completion(text='{"next_step": "fail"}', input_tokens=7, output_tokens=3)

    out = _run(traces.head(1), binary_rubric, {"a": Judge(client, model="m", price=(0, 0))})
    assert out[["verdict", "input_tokens", "output_tokens"]].iloc[0].tolist() == ["fail", 7, 3]


def test_interrupt_in_a_notebook_stops_new_calls_and_keeps_stored_replies(
        traces, binary_rubric, fakes, tmp_path: Path) -> None:
    # a kernel interrupt is SIGINT: KeyboardInterrupt in the thread waiting for the run
    import os
    import signal

    reply = fakes.answer_for(binary_rubric)
    starts: list[int] = []

    async def client(messages, **params):
        starts.append(1)
        if len(starts) == 3:
            os.kill(os.getpid(), signal.SIGINT)
        await asyncio.sleep(0.05)
        return reply

    cache = tmp_path / "c.sqlite"

    async def cell() -> None:
        _run(traces, binary_rubric, {"a": fakes.judge(client)}, cache=cache, concurrency=1)

    loop = asyncio.new_event_loop()  # like ipykernel: SIGINT raises KeyboardInterrupt
    try:
        with pytest.raises(KeyboardInterrupt):
            loop.run_until_complete(cell())
    finally:
        loop.close()
    with JudgeCache(cache) as stored:
        assert len(stored) == 3  # the call in flight at the interrupt finished and was stored
    assert len(starts) == 3  # and no new call started
    again = _run(traces, binary_rubric, {"a": fakes.judge(client)}, cache=cache)
    assert again["cache_hit"].sum() == 3 and len(starts) == len(traces)


@pytest.mark.timeout(60)
def test_a_client_raising_stopiteration_is_an_error_row_not_a_hang(traces, binary_rubric,
                                                                   fakes) -> None:
    # found by the fuzz test: StopIteration cannot be set on an asyncio future and hung the run
    def client(messages, **params):
        raise StopIteration

    out = _run(traces.head(2), binary_rubric, {"a": fakes.judge(client)})
    assert out["error"].tolist() == ["RuntimeError: the client raised StopIteration"] * 2
