"""The dashboard opens in a real browser, with its title, navigation and no exception."""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.helpers import RUN_TIMEOUT_MS, assert_no_exception, wait_idle

pytestmark = pytest.mark.browser


NAVIGATION = ("Preprocess", "Initialize", "Evaluate", "Submit", "Finalize", "Disputes", "Explorer / Verify")


def test_dashboard_opens_with_title_and_navigation(page, dashboard) -> None:
    page.goto(dashboard.url)
    wait_idle(page)
    page.get_by_role("heading", name="Preprocess").wait_for()
    assert re.search("HyperBounty|Preprocess", page.title())
    nav = page.get_by_test_id("stSidebarNav")
    for title in NAVIGATION:
        assert nav.get_by_role("link", name=title).is_visible(), title
    sidebar = page.get_by_test_id("stSidebar")
    sidebar.get_by_text("Network").wait_for()
    sidebar.get_by_text("Wallet").wait_for()
    assert_no_exception(page)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "smoke.png"), full_page=True)


def _background_luminance(tab) -> float:
    rgb = tab.evaluate(
        "() => getComputedStyle(document.querySelector('[data-testid=stApp]')).backgroundColor"
    )
    red, green, blue = (int(v) for v in re.findall(r"\d+", rgb)[:3])
    return (0.2126 * red + 0.7152 * green + 0.0722 * blue) / 255


def test_dashboard_follows_the_viewers_light_or_dark_preference(browser, tmp_path) -> None:
    """No theme is pinned in .streamlit/config.toml, so dark-mode viewers get a dark page."""
    from tests.e2e.server import StreamlitServer

    with StreamlitServer(tmp_path / "data", tmp_path / "themes.log", theme=None) as server:
        luminance = {}
        for scheme in ("light", "dark"):
            context = browser.new_context(viewport={"width": 1400, "height": 1000}, color_scheme=scheme)
            context.set_default_timeout(RUN_TIMEOUT_MS)
            tab = context.new_page()
            tab.goto(server.url)
            wait_idle(tab)
            tab.get_by_role("heading", name="Preprocess").wait_for()
            assert_no_exception(tab)
            luminance[scheme] = _background_luminance(tab)
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            tab.screenshot(path=str(ARTIFACTS / f"theme-{scheme}.png"))
            context.close()
    assert luminance["light"] > 0.8, luminance
    assert luminance["dark"] < 0.3, luminance


def test_exception_detector_sees_a_failing_script(browser, tmp_path) -> None:
    """The helper every browser test relies on must notice an exception box, or it proves nothing."""
    from tests.e2e.helpers import page_exceptions
    from tests.e2e.server import StreamlitServer

    script = tmp_path / "broken_app.py"
    script.write_text('import streamlit as st\nst.title("Broken")\nraise ValueError("boom for the test")\n')
    with StreamlitServer(tmp_path / "data", tmp_path / "broken.log", script=str(script)) as server:
        context = browser.new_context()
        tab = context.new_page()
        tab.goto(server.url)
        wait_idle(tab)
        tab.get_by_text("Broken").first.wait_for()
        errors = page_exceptions(tab)
        with pytest.raises(AssertionError, match="boom for the test"):
            assert_no_exception(tab)
        context.close()
    assert any("boom for the test" in text for text in errors)
