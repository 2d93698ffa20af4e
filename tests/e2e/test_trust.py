"""What a newcomer must be able to trust (issue 12), in a real browser on a real dashboard process.

* a deep link opened right after a server restart gets the whole app (navigation, Network and
  Wallet panels, wide layout);
* one clock: at the submission deadline, second by second, the page and the chain agree (a commit
  one second before it is mined while the page shows Reveal as not open yet; at the deadline the page
  says Reveal, the chain takes the reveal, Commit says submissions closed and the chain refuses a
  commit), on the embedded chain and on anvil;
  the countdown ticks without a click and "Advance time" shows the new block and time at once;
* a transaction's outcome belongs to its account and bounty: another account or bounty never shows it.

The chain's next block is pinned to a second (``DevChain.set_next_timestamp``: "now" stays there until
a block is mined), so the boundary is exact however slow the machine. Every wait is for state (a text,
an enabled button, a block number), never for time.
"""

from __future__ import annotations

import json
import re
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.helpers import (
    RUN_TIMEOUT_MS,
    assert_no_exception,
    choose,
    click,
    fill_number,
    keyed,
    wait_idle,
)
from tests.e2e.server import StreamlitServer, free_port
from tests.e2e.test_flow import confirm_transaction, use_account

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def tab(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, color_scheme="light")
    context.set_default_timeout(RUN_TIMEOUT_MS)  # a loaded 2-core machine: pages, not the test, set the pace
    yield context.new_page()
    context.close()


def _env(data_dir: Path, chain: str, port: int) -> dict[str, str]:
    return {
        "HYPERBOUNTY_DATA_DIR": str(data_dir),
        "HYPERBOUNTY_CHAIN": chain,
        "HYPERBOUNTY_ANVIL_PORT": str(port),
    }


def _in_this_process(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> None:
    """Point this test process's settings at the dashboard's data dir and chain (undone by
    :func:`settings_back`)."""
    import settings

    for key, value in env.items():
        monkeypatch.setenv(key, value)
    settings.get_settings.cache_clear()


@pytest.fixture
def settings_back() -> Iterator[None]:
    yield
    import settings
    from actions import session

    session.close_all()
    settings.get_settings.cache_clear()


def _prepare_two_bounties(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> int:
    """Two bounties made through the actions layer (the dashboard is not running yet); returns bounty
    #1's submission deadline. The chain is closed again so the dashboard can open it."""
    from actions import session
    from tests.actions import scenario

    _in_this_process(monkeypatch, env)
    b = scenario.backend()
    built = scenario.tiny_dataset()
    first = scenario.create_bounty(b, built)
    scenario.create_bounty(b, built)
    deadline = b.client.bounty(first).submission_deadline
    session.close_all()
    return deadline


def _rpc(port: int, method: str, params: list[Any]) -> Any:
    body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": method, "params": params}).encode()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}", data=body, headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        answer = json.loads(response.read())
    assert "error" not in answer, answer
    return answer["result"]


def _pin_next_block(server: StreamlitServer, env: dict[str, str], ts: int) -> int:
    """Make ``ts`` the chain's "now" (the next block's timestamp) until a block is mined; returns the
    latest block's timestamp before it. anvil is told over its RPC while the dashboard runs; the
    embedded chain lives in the dashboard's process, so the dashboard is stopped and started again."""
    if env["HYPERBOUNTY_CHAIN"] == "anvil":
        port = int(env["HYPERBOUNTY_ANVIL_PORT"])
        latest = int(_rpc(port, "eth_getBlockByNumber", ["latest", False])["timestamp"], 16)
        _rpc(port, "evm_setNextBlockTimestamp", [ts])
        return latest
    from chain.embedded import EmbeddedChain

    server.stop()
    with EmbeddedChain(Path(env["HYPERBOUNTY_DATA_DIR"]) / "chain" / "embedded") as chain:
        latest = chain.latest_timestamp()
        chain.set_next_timestamp(ts)
    server.start()
    return latest


def _submit_page(tab: Any, server: StreamlitServer, account: str, bounty: int) -> None:
    tab.goto(f"{server.url}/submit")
    wait_idle(tab)
    tab.get_by_role("heading", name="Submit").first.wait_for()
    use_account(tab, account)
    choose(tab, "submit_bounty", re.compile(f"^#{bounty} "))
    assert_no_exception(tab)


def _button(tab: Any, key: str) -> Any:
    return keyed(tab, key).get_by_role("button").first


def _countdown(tab: Any) -> Any:
    return keyed(tab, "countdown")


MINED = re.compile(r"mined in block \d+")


def _commit_at_the_last_second(tab: Any, server: StreamlitServer, env: dict[str, str], deadline: int) -> None:
    from playwright.sync_api import expect

    _pin_next_block(server, env, deadline - 1)
    _submit_page(tab, server, "Participant 1", 1)
    expect(_countdown(tab)).to_contain_text("Submission · 1 s left")
    expect(_button(tab, "submit_reveal")).to_be_disabled()
    tab.get_by_text(re.compile("^Reveals open at ")).first.wait_for()
    expect(_button(tab, "submit_commit")).to_be_enabled()
    click(tab, "submit_commit")
    confirm_transaction(tab)  # mined: the chain took the commit one second before the deadline
    tab.get_by_text(MINED).first.wait_for()
    tab.get_by_text(re.compile("committed, not yet revealed")).wait_for()


def _outcomes_stay_with_their_account_and_bounty(tab: Any) -> None:
    from playwright.sync_api import expect

    use_account(tab, "Participant 2")
    wait_idle(tab)
    expect(tab.get_by_text(MINED)).to_have_count(0)
    use_account(tab, "Participant 1")
    tab.get_by_text(MINED).first.wait_for()
    choose(tab, "submit_bounty", re.compile("^#2 "))
    expect(tab.get_by_text(MINED)).to_have_count(0)
    choose(tab, "submit_bounty", re.compile("^#1 "))
    tab.get_by_text(MINED).first.wait_for()


def _reveal_at_the_deadline(tab: Any, server: StreamlitServer, env: dict[str, str], deadline: int) -> None:
    from playwright.sync_api import expect

    committed_at = _pin_next_block(server, env, deadline)
    assert committed_at == deadline - 1, "the commit was mined in the second the page showed"
    _submit_page(tab, server, "Participant 2", 1)
    expect(_countdown(tab)).to_contain_text("Reveal · 10 min left")
    expect(_button(tab, "submit_commit")).to_have_attribute("kind", "secondary")  # no longer the next step
    tab.get_by_text(re.compile("^Submissions closed at ")).first.wait_for()
    use_account(tab, "Participant 1")
    expect(_button(tab, "submit_reveal")).to_be_enabled()
    click(tab, "submit_reveal")
    confirm_transaction(tab)  # mined: the chain opened reveals at the deadline, as the page said
    expect(_button(tab, "submit_reveal")).to_contain_text("Revealed")
    expect(_button(tab, "submit_reveal")).to_be_disabled()


def _chain_refuses_a_commit_now(env: dict[str, str], monkeypatch: pytest.MonkeyPatch, server: Any) -> None:
    """After the reveal (mined at the deadline) the chain refuses a commit, as the page says."""
    from actions import session, submissions
    from tests.actions import scenario

    server.stop()  # one process holds the chain (anvil: the test's backend restarts the node from its state)
    _in_this_process(monkeypatch, env)
    b = scenario.backend()
    with pytest.raises(Exception, match=r"(?i)submission window closed"):
        submissions.plan_commit(b, b.dev_senders()[2], 1, scenario.HP_B).preview()
    session.close_all()


def _clock_ticks_and_advances(tab: Any) -> None:
    from playwright.sync_api import expect

    countdown = _countdown(tab).inner_text()
    expect(_countdown(tab)).not_to_have_text(countdown)  # a fragment: no click, no full rerun
    clock = keyed(tab, "chain_clock")
    block = int(re.search(r"Block (\d+)", clock.inner_text()).group(1))
    fill_number(tab, "advance_minutes", 2)
    click(tab, "advance_time")
    expect(clock).to_contain_text(f"Block {block + 1} ")  # shown at once, in the same run
    left = _countdown(tab).inner_text()
    assert re.search(r"Reveal · [0-7] min", left), f"two minutes later than about 9 min 59 s left: {left!r}"


@pytest.mark.parametrize("chain", ["embedded", "anvil"])
def test_page_and_chain_agree_at_the_deadline_second_by_second(
    tab: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings_back: None, chain: str
) -> None:
    if chain == "anvil":
        from chain.anvil import anvil_binary
        from settings import get_settings
        from tests.tooling import require

        require(anvil_binary(get_settings()) is not None, "anvil", "bash scripts/setup.sh")
    env = _env(tmp_path / "data", chain, free_port())
    deadline = _prepare_two_bounties(monkeypatch, env)
    log = ARTIFACTS / f"trust-{chain}.streamlit.log"
    server = StreamlitServer(data_dir=tmp_path / "data", log_path=log, env=env)
    server.start()
    try:
        tab.goto(server.url)  # the dashboard opens its chain (and starts anvil) on a first page
        wait_idle(tab)
        tab.get_by_test_id("stSidebar").get_by_text("Network").wait_for()
        _commit_at_the_last_second(tab, server, env, deadline)
        _outcomes_stay_with_their_account_and_bounty(tab)
        _reveal_at_the_deadline(tab, server, env, deadline)
        _clock_ticks_and_advances(tab)
        assert_no_exception(tab)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        tab.screenshot(path=str(ARTIFACTS / f"trust-{chain}.png"), full_page=True)
        _chain_refuses_a_commit_now(env, monkeypatch, server)
    finally:
        server.stop()


def test_a_deep_link_after_a_restart_gets_the_whole_app(tab: Any, tmp_path: Path) -> None:
    from playwright.sync_api import expect

    server = StreamlitServer(data_dir=tmp_path / "data", log_path=ARTIFACTS / "deep-link.streamlit.log")
    server.start()
    try:
        tab.goto(server.url)
        wait_idle(tab)
        tab.get_by_role("heading", name="Preprocess").first.wait_for()
        server.stop()
        server.start()  # a new process: nothing has run st.navigation yet
        tab.goto(f"{server.url}/evaluate")
        wait_idle(tab)
        tab.get_by_role("heading", name="Evaluate").first.wait_for()
        sidebar = tab.get_by_test_id("stSidebar")
        sidebar.get_by_text("Network").wait_for()
        sidebar.get_by_text("Wallet").wait_for()
        nav = tab.get_by_test_id("stSidebarNav")
        expect(nav.get_by_role("link", name="Explorer / Verify")).to_be_visible()
        expect(nav.get_by_role("link", name="dashboard")).to_have_count(0)  # no bare file names
        width = tab.get_by_test_id("stMainBlockContainer").bounding_box()["width"]
        assert width > 900, f"the wide layout fills the window; the main column is {width:.0f} px"
        assert_no_exception(tab)
    finally:
        server.stop()
