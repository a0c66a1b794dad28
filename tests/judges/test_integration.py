"""The verdict frame goes as it is into calibrate, ensemble_judges, bias audits and the store."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pandas as pd
import pytest

import evalkit
from evalkit.judges import (
    JudgeCache,
    Rubric,
    ensemble_judges,
    ensemble_rubric,
    length_bias,
    load_example_rubric,
    openai_judge,
    run_judges,
)
from evalkit.labels import majority_verdicts
from evalkit.sample_data import load_human_labels
from evalkit.sample_data.judge_sim import simulated_judges

ONE_QUESTION = {"name": "next_step_only", "version": "1", "questions": [
    {"id": "concrete_next_step", "question": "Does the response contain a concrete next step?",
     "pass": "names an action", "fail": "only sympathy"}]}


@pytest.fixture(scope="module")
def sample_traces(data_dir: Path) -> pd.DataFrame:
    return evalkit.load_traces(data_dir / "traces")


@pytest.fixture(scope="module")
def human() -> pd.DataFrame:
    labels = load_human_labels()
    frame, _ = majority_verdicts(labels[labels["verdict"].isin(["pass", "fail"])])
    return frame


def test_single_question_frame_goes_into_everything_as_is(sample_traces, human,
                                                          tmp_path: Path) -> None:
    rubric = Rubric.from_dict(ONE_QUESTION)
    out = run_judges(sample_traces, rubric, simulated_judges(sample_traces, seed=0),
                     cache=None, progress=False)
    assert out["error"].isna().all() and len(out) == 3 * len(sample_traces)
    ens = ensemble_judges(out)                      # the whole frame, as it is
    assert len(ens.frame) == len(sample_traces)
    strict = out[out["judge"] == "judge_strict"]
    cal = evalkit.calibrate(human, strict)          # aligned on trace_id
    assert cal.n == len(human)
    lengths = sample_traces.set_index("trace_id")["output"].str.len()
    audit = length_bias(human, strict, lengths)
    assert -1 <= audit.statistic <= 1
    store = evalkit.LabelStore(tmp_path / "labels.sqlite")
    assert store.import_labels(out, source="judge:sim") == len(out)
    got = store.labels()
    assert set(got["annotator"]) == {"judge_strict", "judge_lenient", "judge_verbose"}


def test_overall_rows_of_a_multi_question_rubric(sample_traces, human) -> None:
    out = run_judges(sample_traces, load_example_rubric("support_bot_binary"),
                     simulated_judges(sample_traces, seed=0), cache=None, progress=False)
    overall = out[out["criterion"] == "overall"]
    ens = ensemble_judges(overall)
    assert len(ens.frame) == len(sample_traces)
    per_judge = {j: evalkit.calibrate(human, g) for j, g in overall.groupby("judge")}
    # the simulators are built so the strict judge rejects failures best
    assert per_judge["judge_strict"].tnr.statistic > per_judge["judge_lenient"].tnr.statistic
    panel = ensemble_rubric(out)
    assert set(panel.frame["criterion"]) == {*load_example_rubric("support_bot_binary").criteria,
                                             "overall"}


def test_disagreement_queue_opens_in_the_annotator(sample_traces, tmp_path: Path) -> None:
    out = run_judges(sample_traces, load_example_rubric("factual_qa_5dim"),
                     simulated_judges(sample_traces, seed=0), cache=None, progress=False)
    queue = ensemble_rubric(out).review_queue
    assert len(queue) > 0 and queue["trace_id"].is_unique
    review = evalkit.Annotator(sample_traces, tmp_path / "l.sqlite", annotator="ann_x",
                               queue=queue)
    assert review.queue == queue["trace_id"].tolist()  # review order = largest spread first


def test_simulators_are_seeded_and_order_free(sample_traces) -> None:
    rubric = load_example_rubric("factual_qa_5dim")
    sub = sample_traces.head(40)
    a = run_judges(sub, rubric, simulated_judges(sub, seed=3), cache=None, progress=False,
                   concurrency=1)
    b = run_judges(sub.iloc[::-1], rubric, simulated_judges(sub, seed=3), cache=None,
                   progress=False, concurrency=16)
    key = ["trace_id", "judge", "criterion"]
    cols = [*key, "verdict", "score"]
    pd.testing.assert_frame_equal(a[cols].sort_values(key).reset_index(drop=True),
                                  b[cols].sort_values(key).reset_index(drop=True))
    c = run_judges(sub, rubric, simulated_judges(sub, seed=4), cache=None, progress=False)
    assert not a["score"].equals(c["score"])


KILL_SCRIPT = textwrap.dedent("""
    import sys, time
    import pandas as pd
    from evalkit.judges import Judge, Rubric, run_judges

    log = open(sys.argv[2], "a", buffering=1)

    def client(messages, **params):
        time.sleep(0.05)
        log.write(messages[-1]["content"].split("<response>\\n")[1].split("\\n")[0] + "\\n")
        return '{"next_step": "pass"}'

    rubric = Rubric.from_dict({"name": "k", "version": "1", "questions": [
        {"id": "next_step", "question": "Q?", "pass": "p", "fail": "f"}]})
    traces = pd.DataFrame({"trace_id": [f"t{i}" for i in range(60)],
                           "output": [f"answer {i}" for i in range(60)]})
    run_judges(traces, rubric, {"a": Judge(client, model="m", price=(0, 0))},
               cache=sys.argv[1], concurrency=2, progress=False)
""")


def test_resume_after_sigkill_does_not_pay_twice(tmp_path: Path) -> None:
    script, log, cache = tmp_path / "run.py", tmp_path / "calls.log", tmp_path / "c.sqlite"
    script.write_text(KILL_SCRIPT)
    proc = subprocess.Popen([sys.executable, str(script), str(cache), str(log)])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if log.exists() and len(log.read_text().splitlines()) >= 12:
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert proc.returncode == -signal.SIGKILL
    paid_before = log.read_text().splitlines()
    assert 12 <= len(paid_before) < 60
    with JudgeCache(cache) as c:
        n_cached = len(c)
    # at most the calls in flight at the kill (concurrency 2) were paid and not stored
    assert len(paid_before) - 2 <= n_cached <= len(paid_before)

    called: list[str] = []

    def client(messages, **params):
        called.append(messages[-1]["content"].split("<response>\n")[1].split("\n")[0])
        return '{"next_step": "pass"}'

    rubric = Rubric.from_dict({"name": "k", "version": "1", "questions": [
        {"id": "next_step", "question": "Q?", "pass": "p", "fail": "f"}]})
    traces = pd.DataFrame({"trace_id": [f"t{i}" for i in range(60)],
                           "output": [f"answer {i}" for i in range(60)]})
    out = run_judges(traces, rubric, {"a": evalkit.judges.Judge(client, model="m",
                                                                price=(0, 0))},
                     cache=cache, progress=False)
    assert len(called) == 60 - n_cached
    assert out["cache_hit"].sum() == n_cached and out["error"].isna().all()
    # paid again: only the calls that were in flight at the kill (paid, never stored)
    repaid = set(called) & set(paid_before)
    assert len(repaid) == len(paid_before) - n_cached <= 2
    assert len(set(called) | set(paid_before)) == 60


def _completion(model: str, content: str) -> dict:
    return {"id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": model,
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": content}}],
            "usage": {"prompt_tokens": 50, "completion_tokens": 7, "total_tokens": 57}}


def test_openai_adapter_through_a_mock_transport(traces) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        body = json.loads(request.content)
        if len(seen) == 1:
            return httpx.Response(429, json={"error": {"message": "slow down"}},
                                  headers={"retry-after": "0"})
        if "answer number 2" in body["messages"][1]["content"]:
            return httpx.Response(400, json={"error": {"message": "bad input"}})
        return httpx.Response(200, json=_completion(body["model"],
                                                    '{"next_step": {"verdict": "pass"}}'))

    client = httpx.AsyncClient(transport=httpx.MockTransport(handler))
    judge = openai_judge("gpt-4o-2024-08-06", base_url="https://llm.invalid/v1", api_key="k",
                         http_client=client)
    rubric = Rubric.from_dict({"name": "t", "version": "1", "questions": [
        {"id": "next_step", "question": "Q?", "pass": "p", "fail": "f"}]})
    out = run_judges(traces.head(3), rubric, {"gpt": judge}, cache=None, progress=False,
                     concurrency=1, backoff=0.0)
    assert len(seen) == 4  # one 429 retried, then three calls
    assert seen[0].url.path == "/v1/chat/completions"
    body = json.loads(seen[1].content)
    assert body["model"] == "gpt-4o-2024-08-06" and body["temperature"] == 0
    assert body["response_format"] == {"type": "json_object"}
    assert [m["role"] for m in body["messages"]] == ["system", "user"]
    assert out["verdict"].tolist() == ["pass", "pass", None]
    assert out["error"].iloc[2].startswith("BadRequestError")
    # gpt-4o list price (2.50, 10.00) per million: 50 input + 7 output tokens
    assert out["cost_usd"].iloc[1] == pytest.approx((50 * 2.5 + 7 * 10) / 1e6)
    assert out["attempts"].tolist() == [2, 1, 1]


def test_litellm_adapter_reports_a_missing_package() -> None:
    try:
        import litellm  # noqa: F401
    except ImportError:
        with pytest.raises(evalkit.judges.JudgeConfigError, match="pip install litellm"):
            evalkit.judges.litellm_judge("gpt-4o")
    else:  # installed: the adapter builds a judge
        assert evalkit.judges.litellm_judge("gpt-4o").model == "gpt-4o"


def test_openai_adapter_without_a_key_is_an_error_row(traces, monkeypatch) -> None:
    # the SDK refuses before any request: no network, a clear row, nothing dropped
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_ADMIN_KEY", raising=False)
    rubric = Rubric.from_dict(ONE_QUESTION)
    out = run_judges(traces.head(2), rubric, {"g": openai_judge("gpt-4o-2024-08-06")},
                     cache=None, progress=False)
    assert out["verdict"].isna().all()
    # the wording changed across openai releases (1.40: "The api_key client option must be set")
    assert out["error"].str.startswith("OpenAIError: ").all()
    assert out["error"].str.contains("api_key|credentials", case=False).all()


def test_adapter_defaults() -> None:
    judge = openai_judge("gpt-4o-mini", api_key="k", seed=7)
    assert judge.params == {"temperature": 0, "seed": 7} and judge.model == "gpt-4o-mini"
