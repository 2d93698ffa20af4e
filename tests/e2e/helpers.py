"""Small Playwright helpers for a Streamlit app, which has no stable DOM ids.

Streamlit marks its root element with the script's run state
(``data-test-script-state``: initial, running, notRunning, ...); a run is over when
it reads ``notRunning``. Widgets created with ``key=K`` sit in an element whose
class is ``st-key-K``: the dashboard documents its keys in each page's docstring,
so :func:`keyed` is how the browser tests find a widget.
"""

from __future__ import annotations

import re
import time
from decimal import Decimal
from typing import Any

RUN_TIMEOUT_MS = 120_000
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'


def wait_idle(page: Any, timeout_ms: int = RUN_TIMEOUT_MS) -> None:
    """Wait until the current script run finished (give a click's rerun a moment to start first)."""
    page.wait_for_timeout(300)
    page.locator(IDLE).wait_for(state="attached", timeout=timeout_ms)
    page.wait_for_timeout(200)
    page.locator(IDLE).wait_for(state="attached", timeout=timeout_ms)


def keyed(page: Any, key: str) -> Any:
    """The element container of the widget created with ``key=key``."""
    return page.locator(f".st-key-{key}")


def click(page: Any, key: str, timeout_ms: int = RUN_TIMEOUT_MS) -> None:
    keyed(page, key).get_by_role("button").first.click()
    wait_idle(page, timeout_ms)


def fill_number(page: Any, key: str, value: Any) -> None:
    """Type into a number or text input and commit it (Streamlit reads it on Enter)."""
    box = keyed(page, key).locator("input").first
    box.fill(str(value))
    box.press("Enter")
    wait_idle(page)


def choose(page: Any, key: str, option: str | re.Pattern[str], timeout_ms: int = RUN_TIMEOUT_MS) -> None:
    """Pick an option of a selectbox by its visible text.

    A fragment that reruns on a timer (the sidebar clock, a countdown) redraws the page and can close
    an open dropdown before the click lands: open it again until the option is picked.
    """
    deadline = time.monotonic() + timeout_ms / 1000
    while True:
        keyed(page, key).get_by_role("button", name="Open").click()
        try:
            page.get_by_role("option", name=option).first.click(timeout=10_000)
            break
        except Exception:
            if time.monotonic() > deadline:
                raise
            page.keyboard.press("Escape")
    wait_idle(page)


def goto_page(page: Any, title: str) -> None:
    """Switch page through the sidebar navigation (keeps the session, unlike a new URL)."""
    page.get_by_test_id("stSidebarNav").get_by_role("link", name=title, exact=True).click()
    page.get_by_role("heading", name=title).first.wait_for()
    wait_idle(page)


def page_exceptions(page: Any) -> list[str]:
    """Texts of every Streamlit exception box on the page (empty when the page is healthy)."""
    return [box.inner_text() for box in page.locator('[data-testid="stException"]').all()]


def assert_no_exception(page: Any) -> None:
    errors = page_exceptions(page)
    assert not errors, "the page shows an exception:\n" + "\n---\n".join(errors)


def metric_eth(container: Any, label: str) -> Decimal:
    """The value of an ``st.metric`` showing an ETH amount, e.g. "999,999 ETH" or "1.00001M ETH" -> Decimal
    (the sidebar shows about 6 significant digits; the exact amount is only in its tooltip)."""
    metric = container.get_by_test_id("stMetric").filter(has_text=label).first
    text = metric.get_by_test_id("stMetricValue").inner_text()
    match = re.search(r"(-?[\d,]+(?:\.\d+)?)(M?)", text)
    assert match, f"no amount in metric {label!r}: {text!r}"
    return Decimal(match.group(1).replace(",", "")) * (1_000_000 if match.group(2) else 1)
