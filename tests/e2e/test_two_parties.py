"""Two dashboards, two data folders, one node and one IPFS daemon: the market between machines.

The owner's install (its own data folder, publishing to the daemon's RPC API) posts a bounty with
the per-role commands; then two real ``streamlit run dashboard.py`` servers on two ports share that
anvil node by URL. The participant, in a browser, creates an account in the sidebar, funds it from
a dev account through the confirmation dialog, joins the owner's board by address, sees the bounty
(its task read through the daemon's HTTP gateway, checked by CID) and commits. The owner's
dashboard, in another browser context, shows the commit after a reload. Nothing waits for time:
every step waits for what the page shows.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.helpers import assert_no_exception, click, fill_number, goto_page, keyed, wait_idle
from tests.e2e.server import StreamlitServer, log_tail
from tests.parties import PASSWORD, Party, World, make_party, new_funded_account, shared_world  # noqa: F401 (the world fixture)

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.anvil, pytest.mark.ipfsd]


@pytest.fixture
def owner_with_bounty(world: World) -> Iterator[tuple[Party, str, str]]:
    """The owner's install: an account, a board, a tiny dataset on the daemon and bounty #1."""
    owner = make_party(world, "owner", owner=True)
    new_funded_account(world, owner)
    board = owner.json("board", "deploy", "--yes")["board"]["address"]
    dataset = owner.json("dataset", "build", "--protocol", "tiny")["dataset"]
    owner.json("dataset", "publish", dataset)
    bounty = str(owner.json("bounty", "create", "--dataset", dataset, "--yes")["bounty"])
    yield owner, board, bounty


def _server(party_: Party, name: str) -> StreamlitServer:
    env = {k: v for k, v in party_.env.items() if k.startswith("HYPERBOUNTY_")}
    return StreamlitServer(
        data_dir=party_.data_dir, log_path=ARTIFACTS / f"two_parties.{name}.streamlit.log", env=env
    )


@pytest.fixture
def servers(world: World, owner_with_bounty: tuple[Party, str, str]) -> Iterator[dict[str, StreamlitServer]]:
    owner, _, _ = owner_with_bounty
    participant = make_party(world, "alice")
    started = {"owner": _server(owner, "owner"), "participant": _server(participant, "participant")}
    for server in started.values():
        server.start()
    try:
        yield started
    except Exception:
        for name, server in started.items():
            print(f"--- {name} dashboard log ---\n{log_tail(server.log_path)}")
        raise
    finally:
        for server in started.values():
            server.stop()


def _tab(browser: Any, url: str) -> Any:
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, color_scheme="light")
    context.set_default_timeout(120_000)  # a loaded 2-core machine: slow, never a fixed wait
    tab = context.new_page()
    tab.goto(url)
    wait_idle(tab)
    return tab


def _confirm(tab: Any) -> None:
    dialog = tab.get_by_role("dialog")
    try:
        dialog.wait_for(timeout=30_000)
    except Exception:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(ARTIFACTS / "two-parties.failure.png"), full_page=True)
        alerts = [a.inner_text() for a in tab.get_by_test_id("stAlert").all()]
        raise AssertionError(f"no confirmation dialog opened; the page says: {alerts}") from None
    keyed(dialog, "tx_confirm").get_by_role("button").click()
    dialog.get_by_text("Mined", exact=True).wait_for()
    keyed(dialog, "tx_close").get_by_role("button").click()
    dialog.wait_for(state="detached")
    wait_idle(tab)
    assert_no_exception(tab)


def _sidebar_fill(tab: Any, key: str, value: str) -> None:
    box = keyed(tab, key).locator("input").first
    box.fill(value)
    box.press("Enter")
    wait_idle(tab)


def _open_expander(tab: Any, title: str) -> None:
    tab.get_by_test_id("stSidebar").get_by_text(title).first.click()
    wait_idle(tab)


def test_the_participants_dashboard_sees_the_owners_bounty_and_commits(
    browser: Any, servers: dict[str, StreamlitServer], owner_with_bounty: tuple[Party, str, str]
) -> None:
    from playwright.sync_api import expect

    _, board, bounty = owner_with_bounty
    alice = _tab(browser, servers["participant"].url)
    sidebar = alice.get_by_test_id("stSidebar")
    # a node that is not a dev chain: the wallet has no account until the person makes one
    sidebar.get_by_text(re.compile("No accounts yet")).wait_for()
    sidebar.get_by_text(re.compile("No BountyBoard on this chain yet")).wait_for()

    _open_expander(alice, "Add an account")
    _sidebar_fill(alice, "account_new_label", "Alice")
    _sidebar_fill(alice, "account_new_password", PASSWORD)
    _sidebar_fill(alice, "account_new_password2", PASSWORD)
    expect(keyed(alice, "account_new_label").locator("input")).to_have_value("Alice")
    click(alice, "account_create")
    expect(keyed(alice, "account").get_by_role("combobox")).to_have_value(re.compile("^Alice · 0x"))
    sidebar.get_by_text("Fund from a dev account").wait_for()
    _open_expander(alice, "Fund from a dev account")
    click(alice, "fund_account")
    _confirm(alice)

    _sidebar_fill(alice, "board_join_address", board)
    click(alice, "board_join")
    sidebar.get_by_text(re.compile(r"BountyBoard 0x\w+…\w+ · this release's")).wait_for()

    goto_page(alice, "Submit")
    # the owner's bounty, on the participant's dashboard (the picker's value, the window's countdown)
    expect(keyed(alice, "submit_bounty").get_by_role("combobox")).to_have_value(re.compile(f"^#{bounty} · "))
    alice.get_by_text(re.compile(r"^Submission · .* left")).first.wait_for()
    fill_number(alice, "hp_lstm_layers", 1)
    fill_number(alice, "hp_lstm_units", 8)
    fill_number(alice, "hp_dense_layers", 0)
    click(alice, "submit_commit")
    _confirm(alice)
    alice.get_by_text(re.compile("committed, not yet revealed")).wait_for()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    alice.screenshot(path=str(ARTIFACTS / "two-parties-participant.png"))

    owner_tab = _tab(browser, servers["owner"].url + "/explorer")
    owner_tab.get_by_text(re.compile(f"BountyBoard {board[:6]}")).first.wait_for()
    owner_tab.reload()
    wait_idle(owner_tab)
    owner_tab.get_by_role("tab", name=re.compile("Leaderboard")).click()
    owner_tab.get_by_text("Submissions on chain").wait_for()  # "No submissions yet." before the commit
    owner_tab.screenshot(path=str(ARTIFACTS / "two-parties-owner.png"))
    assert_no_exception(owner_tab)
