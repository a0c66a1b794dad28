"""`evalkit review`: two reviewers label 20 traces each, keyboard only, into one store."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from evalkit.store import LabelStore
from evalkit.traces import save_traces
from evalkit.traces.schema import to_canonical

pytestmark = pytest.mark.browser
N = 20
TOKEN = "tok-7731"


@pytest.fixture
def review_server(lab: Any, tmp_path: Path) -> Iterator[tuple[str, Path, Any]]:
    traces = tmp_path / "traces.parquet"
    save_traces(to_canonical(lab.support_traces(N)), traces)
    store = tmp_path / "labels.sqlite"
    log = (tmp_path / "review.log").open("w+")
    proc = subprocess.Popen(
        [sys.executable, "-m", "evalkit.cli", "review", str(traces), "--store", str(store),
         "--port", "0", "--token", TOKEN],
        stdout=log, stderr=subprocess.STDOUT, start_new_session=True, text=True,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        url = ""
        while not url:
            assert proc.poll() is None, Path(log.name).read_text()
            assert time.monotonic() < deadline, Path(log.name).read_text()
            for line in Path(log.name).read_text().splitlines():
                if "serving on " in line:
                    url = line.split("serving on ", 1)[1].strip()
            time.sleep(0.2)
        assert url.startswith("http://127.0.0.1:") and url.endswith(f"?token={TOKEN}")
        yield url, store, proc
    finally:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGINT)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        log.close()


def _open(chromium: Any, url: str, name: str) -> tuple[Any, Any]:
    ctx = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = ctx.new_page()
    page.goto(f"{url}&annotator={name}")
    root = page.locator(".ek-annotator")
    root.wait_for(timeout=30_000)
    root.locator(".ek-position").click()
    return ctx, page


def test_two_reviewers_label_at_once(
    lab: Any, chromium: Any, review_server: tuple[str, Path, Any], tmp_path: Path
) -> None:
    url, store_path, proc = review_server
    plan = {
        "expert_a": ["1" if i % 3 else "2" for i in range(N)],
        "expert_b": ["2" if i % 4 == 0 else "1" for i in range(N)],
    }
    ctx_a, page_a = _open(chromium, url, "expert_a")
    ctx_b, page_b = _open(chromium, url, "expert_b")
    try:
        assert page_a.locator("#who").inner_text() == "labelling as expert_a"
        # interleaved: both reviewers press keys at the same time, keyboard only
        for i in range(N):
            for who, page in (("expert_a", page_a), ("expert_b", page_b)):
                key = plan[who][i]
                page.keyboard.press(key)
                if key == "2":  # fail stays on the trace: go on with j
                    page.keyboard.press("j")

        def verdicts(who: str) -> dict[str, str]:
            with LabelStore(store_path) as store:
                df = store.labels(annotator=who, field="verdict")
            return dict(zip(df["trace_id"], df["value"], strict=True))

        # The page says "all done" only after the server's store committed every label; wait
        # on the pages (polling the store file itself would compete with the server's writes).
        for page in (page_a, page_b):
            root = page.locator(".ek-annotator")
            lab.wait_until(
                lambda r=root: r.get_attribute("data-all-done") == "1", timeout=120, what="done"
            )
        for who, keys in plan.items():
            expected = {
                f"trace-{i:02d}": "pass" if k == "1" else "fail" for i, k in enumerate(keys)
            }
            assert verdicts(who) == expected
        lab.screenshot(page_a, tmp_path / "review_page_a.png", team_name="i15_review_page.png")
        page_b.emulate_media(color_scheme="dark")  # the page follows the system theme
        bg = page_b.locator(".ek-annotator").evaluate("el => getComputedStyle(el).backgroundColor")
        assert bg == "rgb(22, 27, 34)", bg
        lab.screenshot(page_b, tmp_path / "review_page_dark.png")
        # the server goes away (Ctrl+C): the page says so and refuses keys
        os.kill(proc.pid, signal.SIGINT)
        proc.wait(20)
        root_a = page_a.locator(".ek-annotator")
        page_a.keyboard.press("k")
        lab.wait_until(lambda: root_a.locator(".ek-dead").is_visible(), what="connection lost")
        assert "Lost the connection to the review server" in root_a.locator(".ek-dead").inner_text()
    finally:
        ctx_a.close()
        ctx_b.close()
