"""Helpers for AppTest page tests: open the dashboard on one page, read what it shows."""

from __future__ import annotations

from typing import Any

from streamlit.testing.v1 import AppTest

TIMEOUT_S = 120


def open_page(page: str, account: str | None = None, **state: Any) -> AppTest:
    """The dashboard (router, sidebar and all) switched to ``pages/<page>.py`` and run once."""
    at = AppTest.from_file("../../dashboard.py", default_timeout=TIMEOUT_S)
    for key, value in state.items():
        at.session_state[key] = value
    if account is not None:
        at.session_state["account"] = account
    at.run()
    at.switch_page(f"pages/{page}.py")
    return at.run()


def texts(at: AppTest) -> str:
    """Everything the page wrote as text, joined: for assertions on what a person reads."""
    parts: list[str] = []
    for kind in (
        "title",
        "header",
        "subheader",
        "markdown",
        "caption",
        "success",
        "info",
        "warning",
        "error",
        "text",
        "code",
        "metric",
        "exception",
        "toast",
    ):
        for element in getattr(at, kind, []):
            value = getattr(element, "value", None)
            if kind == "metric":
                value = f"{element.label}: {element.value}"
            if kind == "exception":
                value = f"EXCEPTION {element.value}"
            parts.append(str(value))
    return "\n".join(parts)


def errors(at: AppTest) -> list[str]:
    return [e.value for e in at.error] + [f"EXCEPTION {e.value}" for e in at.exception]


def click(at: AppTest, key: str) -> AppTest:
    return at.button(key=key).click().run()


def tables_text(at: AppTest) -> str:
    """Every dataframe and table the page shows, as text."""
    parts = [d.value.to_string() for d in at.dataframe] + [t.value.to_string() for t in at.table]
    return "\n".join(parts)
