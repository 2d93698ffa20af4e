"""The whole bounty in a real browser: dataset, bounty, two commits, reveals, evaluation, payout.

One test, in order, on a fresh data dir and the embedded chain, with the tiny protocol so
the evaluation trains two very small models for one epoch. It drives only what a person
would click (the sidebar wallet and clock, each page's widgets, the confirmation dialog)
and saves a screenshot of every page to tests/e2e/artifacts/. At the withdrawal it reads the
dialog's exact amounts (the credit before confirming; the balance change and the gas once mined)
and checks that the change is the credit minus the gas, to the wei: the browser test cannot reach
the dashboard's chain, so it compares what the page shows, every wei written out.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest

from tests.e2e.conftest import ARTIFACTS
from tests.e2e.helpers import (
    RUN_TIMEOUT_MS,
    assert_no_exception,
    choose,
    click,
    fill_number,
    goto_page,
    keyed,
    metric_eth,
    wait_idle,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TRAINING_TIMEOUT_MS = 600_000  # two tiny models; generous for a 2-core CI machine


def shot(page: Any, name: str, height: int = 1500, anchor: Any = None) -> None:
    """The page from its top (or from ``anchor``) in a taller window; Streamlit scrolls an inner element."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    size = page.viewport_size
    page.set_viewport_size({"width": size["width"], "height": height})
    page.evaluate("""() => {
        window.scrollTo(0, 0);
        for (const el of document.querySelectorAll('*')) { if (el.scrollTop > 0) el.scrollTop = 0; }
    }""")
    if anchor is not None:
        anchor.evaluate("el => el.scrollIntoView({block: 'start'})")
    page.wait_for_timeout(400)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
    page.set_viewport_size(size)


def confirm_transaction(page: Any, expect: str = "Mined") -> None:
    """Confirm in the wallet dialog, wait until it is mined, close the dialog."""
    dialog = page.get_by_role("dialog")
    try:
        dialog.wait_for(timeout=RUN_TIMEOUT_MS)
    except Exception:
        alerts = [a.inner_text() for a in page.get_by_test_id("stAlert").all()]
        raise AssertionError(f"no confirmation dialog opened; the page says: {alerts}") from None
    keyed(dialog, "tx_confirm").get_by_role("button").click()
    dialog.get_by_text(expect, exact=True).wait_for(timeout=RUN_TIMEOUT_MS)  # mined, on a loaded machine too
    keyed(dialog, "tx_close").get_by_role("button").click()
    dialog.wait_for(state="detached")
    wait_idle(page)
    assert_no_exception(page)


WEI_PER_ETH = 10**18


def dialog_table(dialog: Any) -> dict[str, str]:
    """The dialog's Field/Value table (``ui.tx``) as a dict: the field's text -> the value's text."""
    rows = dialog.get_by_test_id("stTable").last.evaluate(
        """t => Array.from(t.querySelectorAll('tr')).map(
            r => Array.from(r.querySelectorAll('th, td')).map(c => c.innerText.trim()))"""
    )
    return {cells[-2]: cells[-1] for cells in rows if len(cells) >= 2}


def exact_wei(text: str) -> int:
    """``+0.999950000000000001 ETH`` / ``−0.00005 ETH`` (every decimal written out) -> wei."""
    match = re.fullmatch(r"([+−-]?)(\d[\d,]*(?:\.\d+)?) ETH", text.strip())
    assert match, f"not an exact ETH amount: {text!r}"
    wei = Decimal(match.group(2).replace(",", "")) * WEI_PER_ETH
    assert wei == wei.to_integral_value(), f"more decimals than wei: {text!r}"
    return -int(wei) if match.group(1) in ("−", "-") else int(wei)


def withdraw_and_check_the_delta(page: Any) -> None:
    """Withdraw through the dialog: the balance change shown equals the credit shown minus the gas shown."""
    click(page, "fin_withdraw")
    dialog = page.get_by_role("dialog")
    dialog.get_by_text("Credited to you", exact=True).wait_for(timeout=RUN_TIMEOUT_MS)
    credit = exact_wei(dialog_table(dialog)["Credited to you"])
    keyed(dialog, "tx_confirm").get_by_role("button").click()
    dialog.get_by_text("Mined", exact=True).wait_for(timeout=RUN_TIMEOUT_MS)
    dialog.get_by_text("of which gas", exact=True).wait_for(timeout=RUN_TIMEOUT_MS)
    mined = dialog_table(dialog)
    change, gas = exact_wei(mined["Change"]), exact_wei(mined["of which gas"])
    assert gas < 0, f"a withdrawal pays gas: {mined}"
    assert change == credit + gas, f"change {change} wei != credit {credit} wei - gas {-gas} wei: {mined}"
    assert exact_wei(mined["Balance after"]) - exact_wei(mined["Balance before"]) == change, mined
    keyed(dialog, "tx_close").get_by_role("button").click()
    dialog.wait_for(state="detached")
    wait_idle(page)
    assert_no_exception(page)


def use_account(page: Any, label: str) -> None:
    from playwright.sync_api import expect

    choose(page, "account", re.compile(f"^{re.escape(label)} "))
    expect(keyed(page, "account").get_by_role("combobox")).to_have_value(re.compile(f"^{re.escape(label)} "))


def use_account_on_finalize(page: Any, label: str) -> None:
    """Switch account on Finalize and wait until its Withdraw panel speaks for it.

    The sidebar clock's fragment reruns every second; a pick that lands during one can show in the
    box yet never reach the script (the page keeps the old account). Then pick another account and
    this one again: waiting for the page's state, not for time.
    """
    for attempt in range(3):
        use_account(page, label)
        try:
            page.get_by_text(f"{label} has", exact=False).first.wait_for(timeout=30_000)
            return
        except Exception:
            if attempt == 2:
                raise
            use_account(page, "Owner" if label != "Owner" else "Participant 1")


def advance_clock(page: Any, minutes: int) -> None:
    fill_number(page, "advance_minutes", minutes)
    click(page, "advance_time")


def build_dataset(page: Any) -> None:
    choose(page, "pp_protocol", re.compile("^Quick check"))
    click(page, "pp_load")
    page.get_by_role("tab", name=re.compile("Normalised")).wait_for()
    click(page, "pp_build")
    page.get_by_role("heading", name=re.compile("Built dataset")).wait_for()
    assert_no_exception(page)
    shot(page, "preprocess")


def create_bounty(page: Any) -> None:
    goto_page(page, "Initialize")
    fill_number(page, "init_min_acc", 1)  # any sane model beats 1 %: a winner is paid
    fill_number(page, "init_submission_min", 10)
    fill_number(page, "init_reveal_min", 10)
    shot(page, "initialize")
    click(page, "init_create")
    page.get_by_role("dialog").get_by_text("createBounty").wait_for()
    shot(page, "confirm-dialog")
    confirm_transaction(page)
    page.get_by_text(re.compile(r"Bounty #1 is open")).wait_for()


def commit(page: Any, label: str, units: int) -> None:
    use_account(page, label)
    fill_number(page, "hp_lstm_layers", 1)
    fill_number(page, "hp_lstm_units", units)
    fill_number(page, "hp_dense_layers", 0)
    click(page, "submit_commit")
    confirm_transaction(page)
    page.get_by_text(re.compile("committed, not yet revealed")).wait_for()


def reveal(page: Any, label: str) -> None:
    use_account(page, label)
    click(page, "submit_reveal")
    confirm_transaction(page)
    page.get_by_text(re.compile(r": revealed \(commit")).wait_for()


def evaluate_and_post(page: Any) -> None:
    use_account(page, "Owner")
    goto_page(page, "Evaluate")
    advance_clock(page, 11)  # into the evaluation window: the test data is revealed, scores posted
    click(page, "eval_reveal_test")
    confirm_transaction(page)
    page.get_by_text(re.compile("^Revealed: ")).wait_for()
    fill_number(page, "eval_workers", 1)  # one spawned worker trains both, one after the other
    click(page, "eval_run")
    keyed(page, "eval_post").wait_for(timeout=TRAINING_TIMEOUT_MS)
    wait_idle(page)
    assert_no_exception(page)
    # the leaderboard reads every score with its 95 % interval, against the baselines
    page.get_by_text(re.compile("95 % of the time the true accuracy lies in this range")).wait_for()
    page.get_by_text(re.compile("^Baselines on the same test data$")).wait_for()
    shot(page, "evaluate")
    shot(page, "evaluate-leaderboard", anchor=page.get_by_role("heading", name=re.compile("Leaderboard")))
    click(page, "eval_post")
    confirm_transaction(page)


def finalize_and_find_winner(page: Any) -> str:
    goto_page(page, "Finalize")
    click(page, "fin_finalize")
    confirm_transaction(page)
    outcome = page.get_by_text(re.compile(r"winner Participant \d+ with")).first.inner_text()
    match = re.search(r"winner (Participant \d+) with", outcome)  # named by its label, not its address
    assert match, f"no winner in the outcome: {outcome!r}"
    return match.group(1)


def test_whole_bounty_in_the_browser(page, dashboard) -> None:
    page.goto(dashboard.url)
    wait_idle(page)
    build_dataset(page)
    create_bounty(page)

    goto_page(page, "Submit")
    commit(page, "Participant 1", units=8)
    commit(page, "Participant 2", units=16)
    shot(page, "submit")

    advance_clock(page, 11)  # past the submission deadline
    reveal(page, "Participant 1")
    reveal(page, "Participant 2")

    evaluate_and_post(page)
    winner = finalize_and_find_winner(page)

    use_account_on_finalize(page, winner)
    sidebar = page.get_by_test_id("stSidebar")
    waiting = metric_eth(sidebar, "To withdraw")
    before = metric_eth(sidebar, "Balance")
    assert waiting >= 1, f"the winner should have the 1 ETH reward waiting, has {waiting}"
    withdraw_and_check_the_delta(page)
    after = metric_eth(sidebar, "Balance")
    assert after > before, f"the winner's balance did not rise: {before} -> {after}"
    assert metric_eth(sidebar, "To withdraw") == 0
    shot(page, "finalize")

    goto_page(page, "Explorer / Verify")
    metrics = page.get_by_test_id("stMetric")
    metrics.filter(has_text="Phase").filter(has_text="Finalized").wait_for()
    metrics.filter(has_text="Outcome").filter(has_text="winner paid").wait_for()
    assert_no_exception(page)
    shot(page, "explorer")

    goto_page(page, "Disputes")
    page.get_by_text("has no arbitrator").wait_for()  # this bounty was created without one
    assert_no_exception(page)
    shot(page, "disputes")

    goto_page(page, "Home")  # the winner's own page: its money and its transactions
    page.get_by_text(re.compile(r": your money, what you can do next")).wait_for()
    assert_no_exception(page)
    shot(page, "home")
