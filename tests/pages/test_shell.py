"""The router and sidebar: every page opens, the network panel and wallet show the chain's state."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from actions.session import get_backend
from tests.pages.harness import TIMEOUT_S, errors, open_page, texts

PAGES = ["preprocess", "initialize", "submit", "evaluate", "finalize", "explorer"]


def test_first_run_shows_network_and_wallet():
    at = AppTest.from_file("../../dashboard.py", default_timeout=TIMEOUT_S).run()
    assert not errors(at), errors(at)
    b = get_backend()
    sidebar = "\n".join(str(getattr(e, "value", "")) for e in at.sidebar.caption)
    assert f"chain id {b.chain.chain_id}" in sidebar and "embedded chain" in sidebar
    assert f"BountyBoard {b.client.address[:6]}" in sidebar
    account = at.sidebar.selectbox(key="account")
    assert account.value == b.accounts()[0].address
    assert account.options[0].startswith("Owner") and account.options[1].startswith("Participant 1")
    assert [m.label for m in at.sidebar.metric] == ["Balance", "To withdraw"]


def test_advance_time_and_mine_move_the_chain():
    at = AppTest.from_file("sidebar_app.py", default_timeout=TIMEOUT_S).run()
    before = get_backend().now()
    at.sidebar.number_input(key="advance_minutes").set_value(90)
    at.sidebar.button(key="advance_time").click().run()
    assert not errors(at), errors(at)
    assert get_backend().now() >= before + 90 * 60
    block = get_backend().latest_block()[0]
    at.sidebar.button(key="mine_block").click().run()
    assert get_backend().latest_block()[0] == block + 1


def test_switching_account_shows_its_balance_and_credit():
    at = AppTest.from_file("sidebar_app.py", default_timeout=TIMEOUT_S).run()
    b = get_backend()
    participant = b.accounts()[2].address
    at.sidebar.selectbox(key="account").set_value(participant).run()
    assert not errors(at), errors(at)
    assert at.session_state["account"] == participant
    assert participant in [c.value for c in at.sidebar.code]


@pytest.mark.parametrize("page", PAGES)
def test_every_page_opens_on_an_empty_chain(page):
    at = open_page(page)
    assert not errors(at), errors(at)
    assert at.title[0].value.endswith(
        {
            "preprocess": "Preprocess",
            "initialize": "Initialize",
            "submit": "Submit",
            "evaluate": "Evaluate",
            "finalize": "Finalize",
            "explorer": "Explorer / Verify",
        }[page]
    )
    if page != "preprocess":
        assert "Preprocess page" in texts(at) or "Initialize page" in texts(at)
