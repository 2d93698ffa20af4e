"""Small Playwright helpers for a Streamlit app, which has no stable DOM ids."""

from __future__ import annotations

from typing import Any

RUN_TIMEOUT_MS = 120_000


def wait_idle(page: Any, timeout_ms: int = RUN_TIMEOUT_MS) -> None:
    """Wait until the script run finished: the status widget ("Running...") is gone."""
    page.wait_for_load_state("domcontentloaded")
    page.locator('[data-testid="stApp"]').wait_for(state="visible", timeout=timeout_ms)
    # The status widget shows while a script run is in progress.
    page.wait_for_function(
        """() => {
            const status = document.querySelector('[data-testid="stStatusWidget"]');
            return !status || !/Running/i.test(status.innerText);
        }""",
        timeout=timeout_ms,
    )
    page.wait_for_timeout(200)


def page_exceptions(page: Any) -> list[str]:
    """Texts of every Streamlit exception box on the page (empty when the page is healthy)."""
    return [box.inner_text() for box in page.locator('[data-testid="stException"]').all()]


def assert_no_exception(page: Any) -> None:
    errors = page_exceptions(page)
    assert not errors, "the page shows an exception:\n" + "\n---\n".join(errors)
