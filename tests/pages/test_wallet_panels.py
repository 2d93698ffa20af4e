"""The sidebar's own keys and board panels (ui.accounts, ui.board) on the embedded chain, in AppTest.

A person creates an account (encrypted into this data folder's keystore, unlocked for this session
only), funds it from a dev account through the confirmation dialog, unlocks it again in a new
session with its password, and joins a board by address (another contract's address is refused
with the sentence).
"""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from actions import wallet
from actions.session import get_backend
from chain.arbitrator import open_arbitrator
from formatting import eth_to_wei
from tests.pages.harness import TIMEOUT_S, errors, texts

PASSWORD = "correct horse battery"


def _fast_keys() -> None:
    get_backend().kdf_iterations = 2**4  # scrypt's work factor: a second per key otherwise


def _open() -> AppTest:
    return AppTest.from_file("wallet_app.py", default_timeout=TIMEOUT_S).run()


def _create(at: AppTest, label: str = "Alice", again: str = PASSWORD) -> AppTest:
    at.sidebar.text_input(key="account_new_label").set_value(label)
    at.sidebar.text_input(key="account_new_password").set_value(PASSWORD)
    at.sidebar.text_input(key="account_new_password2").set_value(again)
    return at.sidebar.button(key="account_create").click().run()


def test_create_an_account_then_fund_it_from_a_dev_account():
    _fast_keys()
    at = _open()
    at = _create(at)
    assert not errors(at), errors(at)
    b = get_backend()
    [created] = wallet.keystore_accounts(b)
    assert created.label == "Alice"
    assert at.session_state["account"] == created.address
    assert created.address in at.session_state["unlocked"]
    assert b.balance(created.address) == 0

    at.sidebar.number_input(key="fund_eth").set_value(2.5)
    at = at.sidebar.button(key="fund_account").click().run()
    assert not errors(at), errors(at)
    assert "Fund" in texts(at)
    at = at.button(key="tx_confirm").click().run()
    assert not errors(at), errors(at)
    assert b.balance(created.address) == eth_to_wei("2.5")


def test_passwords_that_differ_create_nothing():
    _fast_keys()
    at = _create(_open(), again="something else")
    assert any("passwords differ" in e for e in errors(at)), errors(at)
    assert wallet.keystore_accounts(get_backend()) == []


def test_a_keystore_account_unlocks_in_a_new_session_with_its_password_only():
    _fast_keys()
    b = get_backend()
    address = wallet.create_account(b, PASSWORD, "Bob")
    at = _open()
    at.sidebar.selectbox(key="unlock_address").set_value(address)
    at.sidebar.text_input(key="unlock_password").set_value("not the password")
    at = at.sidebar.button(key="account_unlock").click().run()
    assert any("password" in e.lower() for e in errors(at)), errors(at)
    assert address not in at.session_state["unlocked"]

    at.sidebar.text_input(key="unlock_password").set_value(PASSWORD)
    at = at.sidebar.button(key="account_unlock").click().run()
    assert not errors(at), errors(at)
    assert at.session_state["account"] == address


def test_joining_another_contract_is_refused_and_the_board_is_kept():
    b = get_backend()
    board = b.client.address
    arbitrator = open_arbitrator(b.chain, b.dev_senders()[0], deploy_if_never_deployed=True)
    at = _open()
    at.sidebar.text_input(key="board_join_address").set_value(arbitrator.address)
    at = at.sidebar.button(key="board_join").click().run()
    assert any("not this release's BountyBoard" in e for e in errors(at)), errors(at)
    assert wallet.board_address(b) == board

    at.sidebar.text_input(key="board_join_address").set_value(board)
    at = at.sidebar.button(key="board_join").click().run()
    assert not errors(at), errors(at)
    assert "this release's" in texts(at)
