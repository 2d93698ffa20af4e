"""The router and sidebar: every page opens, the network panel and wallet show the chain's state."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from actions.session import get_backend
from tests.pages.harness import TIMEOUT_S, errors, open_page, texts

PAGES = ["preprocess", "initialize", "submit", "evaluate", "finalize", "disputes", "explorer"]


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
            "disputes": "Disputes",
            "explorer": "Explorer / Verify",
        }[page]
    )
    if page != "preprocess":
        assert "Preprocess page" in texts(at) or "Initialize page" in texts(at)


DRIVER = """
import json, sys, types
from actions.jobs import JobRunner
from tests.actions import jobhelpers

main = types.ModuleType("__main__")  # what `streamlit run` does: the script becomes __main__
main.__file__ = sys.argv[1]
sys.modules["__main__"] = main
runner = JobRunner()
runner.start("probe", "Probe", jobhelpers.main_script_probe, process=True)
view = runner.wait("probe", timeout=300)
print(json.dumps({"state": view.state, "error": view.error, "result": view.result}))
"""


def test_a_spawned_job_does_not_run_the_dashboard_again(tmp_path):
    """A worker re-imports the main script as __mp_main__; the router must not draw or connect there."""
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    driver = tmp_path / "driver.py"
    driver.write_text(DRIVER)
    env = {**os.environ, "PYTHONPATH": str(root)}
    done = subprocess.run(
        [sys.executable, str(driver), str(root / "dashboard.py")],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["state"] == "done", report
    assert report["result"]["mp_main_file"] == str(root / "dashboard.py")  # the worker did import it
    assert report["result"]["backends"] == 0  # ...but drew no sidebar and opened no chain


def test_balance_metric_is_short_with_the_exact_amount_in_its_help():
    from formatting import eth
    from ui.sidebar import compact_eth

    assert compact_eth(999_998_997 * 10**15) == "999,998 ETH"
    assert compact_eth(1_234_567_800 * 10**12) == "1,234.56 ETH"
    assert compact_eth(2_500_000 * 10**18) == "2.5M ETH"
    assert compact_eth(123 * 10**12) == "0.000123 ETH"
    at = AppTest.from_file("sidebar_app.py", default_timeout=TIMEOUT_S).run()
    b = get_backend()
    balance = b.chain.w3.eth.get_balance(b.accounts()[0].address)
    metric = at.sidebar.metric[0]
    assert metric.label == "Balance" and metric.value == compact_eth(balance)
    assert len(metric.value) <= 12
    assert metric.proto.help == f"Exactly {eth(balance, places=18)}."
