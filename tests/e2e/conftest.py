"""Browser-test fixtures: a real dashboard process and Debian's headless chromium.

The browser is Debian's ``chromium`` driven by Playwright's Python package
(never ``playwright install``). ``tests.tooling.require`` makes a missing
browser a skip locally and a failure under ``CI=true``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.helpers import RUN_TIMEOUT_MS
from tests.e2e.server import StreamlitServer, log_tail
from tests.tooling import require

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


def chromium_path() -> str | None:
    """Debian's chromium: $HYPERBOUNTY_CHROMIUM, /usr/bin/chromium, or ``chromium`` on PATH."""
    for candidate in (os.environ.get("HYPERBOUNTY_CHROMIUM", ""), "/usr/bin/chromium"):
        if candidate and Path(candidate).is_file():
            return candidate
    return shutil.which("chromium")


def _playwright_available() -> bool:
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.fixture(scope="session")
def browser_executable() -> str:
    require(_playwright_available(), "Playwright's Python package", "pip install -r requirements-dev.txt")
    path = chromium_path()
    require(path is not None, "Debian chromium", "apt-get install chromium, or bash scripts/setup.sh --dev")
    assert path is not None
    return path


@pytest.fixture(scope="session")
def browser(browser_executable: str) -> Iterator[object]:
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=RUN_TIMEOUT_MS)  # expect() waits for state as long as any other wait
    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(
            executable_path=browser_executable, headless=True, args=CHROMIUM_ARGS
        )
        yield instance
        instance.close()


@pytest.fixture
def dashboard(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[StreamlitServer]:
    """A fresh ``streamlit run dashboard.py`` with its own (empty) data directory."""
    log_path = ARTIFACTS / f"{request.node.name}.streamlit.log"
    server = StreamlitServer(data_dir=tmp_path / "dashboard-data", log_path=log_path)
    server.start()
    yield server
    server.stop()
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        print(f"--- streamlit log ({log_path}) ---\n{log_tail(log_path)}")


@pytest.fixture
def page(browser: object, dashboard: StreamlitServer, request: pytest.FixtureRequest) -> Iterator[object]:
    """A light-theme browser page; a screenshot is saved to artifacts/ when the test fails."""
    context = browser.new_context(  # type: ignore[attr-defined]
        viewport={"width": 1400, "height": 1000}, color_scheme="light"
    )
    # a loaded 2-core CI machine is slow to load pages and build data: waits are for state, and long
    context.set_default_timeout(RUN_TIMEOUT_MS)
    tab = context.new_page()
    yield tab
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(ARTIFACTS / f"{request.node.name}.failure.png"), full_page=True)
    context.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    """Keep each phase's report on the item so fixtures know whether the test failed."""
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
