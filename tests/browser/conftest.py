"""Browser-test fixtures: one JupyterLab server per session, Debian's Chromium through Playwright.

Follows ../shared/browser-testing.md: isolated Jupyter dirs, the news toast turned off, a fresh
workspace per notebook, waiting for the kernel connection, run-all fire-and-forget, and assertions
on what the kernel did (the SQLite label store), read back from this process.
Chromium is required: if it is missing the tests fail with a clear message, they are never skipped.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import pytest

CHROMIUM = os.environ.get("EVALKIT_CHROMIUM", "/usr/bin/chromium")
TEAM_SCREENSHOTS = Path("/work/team/screenshots")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
]  # fmt: skip
KERNEL_READY = """() => {
  const w = window.jupyterapp?.shell.currentWidget;
  const k = w?.sessionContext?.session?.kernel;
  return !!k && k.connectionStatus === 'connected' && k.status === 'idle';
}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Lab:
    url: str
    token: str
    root: Path

    def notebook_url(self, name: str) -> str:
        return f"{self.url}/lab/workspaces/t{uuid.uuid4().hex[:10]}/tree/{name}?token={self.token}"

    # Helpers live on the fixture object: test modules cannot import conftest (importlib mode).
    def write_notebook(self, name: str, cells: list[str]) -> str:
        write_notebook(self.root / name, cells)
        return name

    def open_and_run(self, page: Any, name: str) -> None:
        open_and_run(page, self, name)

    @staticmethod
    def wait_until(
        check: Callable[[], Any], *, timeout: float = 30.0, what: str = "condition"
    ) -> Any:
        return wait_until(check, timeout=timeout, what=what)

    @staticmethod
    def screenshot(
        page: Any, path: Path, *, locator: Any = None, team_name: str | None = None
    ) -> Path:
        return save_screenshot(page, path, locator=locator, team_name=team_name)

    @staticmethod
    def support_traces(n: int, *, prefix: str = "trace") -> list[dict[str, Any]]:
        return support_traces(n, prefix=prefix)


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    root = tmp_path_factory.mktemp("lab_root")
    dirs = tmp_path_factory.mktemp("lab_dirs")
    env = dict(os.environ)
    for var in (
        "JUPYTER_CONFIG_DIR",
        "JUPYTER_DATA_DIR",
        "JUPYTER_RUNTIME_DIR",
        "IPYTHONDIR",
        "JUPYTERLAB_SETTINGS_DIR",
        "JUPYTERLAB_WORKSPACES_DIR",
    ):
        (dirs / var.lower()).mkdir()
        env[var] = str(dirs / var.lower())
    settings = dirs / "jupyterlab_settings_dir" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False})
    )
    port, token = _free_port(), secrets.token_hex(16)
    log = (dirs / "jupyterlab.log").open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "jupyterlab",
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={port}",
            "--ServerApp.port_retries=0",
            f"--ServerApp.token={token}",
            f"--ServerApp.root_dir={root}",
            "--expose-app-in-browser",
            "--allow-root",
        ],
        start_new_session=True,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert proc.poll() is None, f"JupyterLab exited with {proc.returncode}; log: {log.name}"
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=5):
                    break
            except OSError:
                assert time.monotonic() < deadline, (
                    f"JupyterLab did not answer in 120 s; log: {log.name}"
                )
                time.sleep(0.5)
        yield Lab(url=url, token=token, root=root)
    finally:
        proc.terminate()
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        log.close()


# Playwright's sync API keeps an asyncio loop marked as running in this thread while it is
# started; module scope stops it after each browser module, so the asyncio tests collected
# after tests/browser (judge runs, the review server) can still call asyncio.run().
@pytest.fixture(scope="module")
def playwright() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.fail(
            f"Chromium is required for the browser tests but {CHROMIUM} does not exist. Install "
            "Debian's chromium (`apt-get install -y --no-install-recommends chromium`, or "
            "`make chromium`); never `playwright install`.",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    try:
        yield pw
    finally:
        pw.stop()


@pytest.fixture(scope="module")
def chromium(playwright: Any) -> Iterator[Any]:
    """A non-persistent Chromium, for tests that need several isolated browser contexts."""
    b = playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    try:
        yield b
    finally:
        b.close()


@pytest.fixture(scope="module")
def browser(playwright: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    pw = playwright
    ctx = pw.chromium.launch_persistent_context(
        str(tmp_path_factory.mktemp("chromium_profile")),
        executable_path=CHROMIUM,
        headless=True,
        args=CHROMIUM_ARGS,
        viewport={"width": 1360, "height": 1000},
    )
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh tab with XSS tripwires: `window.__xss` and a record of every JS dialog."""
    pg = browser.new_page()
    pg.add_init_script("window.__xss = [];")
    dialogs: list[str] = []
    pg.dialogs = dialogs

    def on_dialog(dialog: Any) -> None:
        if dialog.type == "beforeunload":  # JupyterLab asks before leaving a notebook: leave
            dialog.accept()
            return
        dialogs.append(f"{dialog.type}: {dialog.message}")
        dialog.dismiss()

    pg.on("dialog", on_dialog)
    try:
        yield pg
    finally:
        pg.close()


def write_notebook(path: Path, cells: list[str]) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)
    return path


def open_and_run(page: Any, lab: Lab, name: str) -> None:
    """Open a notebook in a fresh workspace, wait for its kernel, and run all cells (no await)."""
    page.goto(lab.notebook_url(name))
    page.wait_for_function(KERNEL_READY, timeout=90_000)
    page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); }")


def wait_until(check: Callable[[], Any], *, timeout: float = 30.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        last = check()
        if last:
            return last
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}; last value: {last!r}")


def save_screenshot(
    page: Any, path: Path, *, locator: Any = None, team_name: str | None = None
) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    (locator or page).screenshot(path=str(path))
    if team_name and TEAM_SCREENSHOTS.parent.is_dir():
        TEAM_SCREENSHOTS.mkdir(exist_ok=True)
        shutil.copy(path, TEAM_SCREENSHOTS / team_name)
    return path


def support_traces(n: int, *, prefix: str = "trace") -> list[dict[str, Any]]:
    """Realistic synthetic support-bot traces (canonical records, JSON-serializable)."""
    questions = [
        ("billing", "Can I get a refund for the unused months of my annual plan?"),
        (
            "outage",
            "Our dashboard has been returning 502 errors since this morning. What's going on?",
        ),
        ("account", "How do I add a second admin to my organisation?"),
        ("billing", "Why was I charged twice this month?"),
        ("api", "What is the rate limit for the /v2/deployments endpoint?"),
    ]
    out = []
    for i in range(n):
        segment, question = questions[i % len(questions)]
        answer = (
            f"Thanks for reaching out! Here is what I found for case **#{1000 + i}**:\n\n"
            "1. Annual plans can be refunded *pro rata* within 30 days.\n"
            "2. After that, credits are applied to your next invoice.\n\n"
            "See [the refund policy](https://acme.example/policy/refunds) for details."
        )
        out.append(
            {
                "trace_id": f"{prefix}-{i:02d}",
                "timestamp": f"2025-03-{1 + i % 28:02d}T10:{i % 60:02d}:00Z",
                "input": question,
                "output": answer,
                "messages": [
                    {
                        "role": "system",
                        "content": "You are Acme Cloud's support assistant. Be concise, "
                        "cite the policy, never invent account details.",
                    },
                    {"role": "user", "content": question},
                    {
                        "role": "assistant",
                        "content": None,
                        "tool_calls": [
                            {
                                "name": "lookup_account",
                                "arguments": {
                                    "account_id": f"AC-{4000 + i}",
                                    "fields": ["plan", "billing_cycle"],
                                },
                            }
                        ],
                    },
                    {
                        "role": "tool",
                        "content": json.dumps(
                            {
                                "plan": "Team Annual",
                                "billing_cycle": "yearly",
                                "renewed": "2025-01-14",
                            }
                        ),
                        "tool_call_id": f"call_{i}",
                    },
                    {
                        "role": "assistant",
                        "content": answer,
                    },
                ],
                "tool_calls": [
                    {
                        "name": "lookup_account",
                        "arguments": {
                            "account_id": f"AC-{4000 + i}",
                            "fields": ["plan", "billing_cycle"],
                        },
                        "result": {"plan": "Team Annual", "billing_cycle": "yearly"},
                    }
                ],
                "retrieved": [
                    {
                        "id": "kb/refunds.md",
                        "text": "Refunds: annual plans may be refunded pro rata within "
                        "30 days of renewal. After 30 days, unused time becomes account credit.",
                        "score": 0.91,
                    },
                    {
                        "id": "kb/billing-faq.md",
                        "text": "Duplicate charges are usually pending authorisations "
                        "that disappear within 3 business days.",
                        "score": 0.64,
                    },
                ],
                "model": "gpt-4o-mini-2024-07-18",
                "latency_ms": 1840.0 + 37 * i,
                "input_tokens": 1250 + i,
                "output_tokens": 180 + i,
                "cost_usd": 0.00042 + i * 1e-5,
                "segment": segment,
                "metadata": {"channel": "web", "locale": "en-GB"},
                "source": {
                    "format": "openai_chat",
                    "file": "openai_chat.jsonl",
                    "line": i + 1,
                    "span_id": None,
                },
            }
        )
    return out
