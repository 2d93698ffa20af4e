"""Nothing cut off, people named by label (issue 12, items 7 and 8): what each narrow place shows."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from actions.session import get_backend
from tests.actions import scenario
from tests.pages.harness import TIMEOUT_S, errors, open_page


def test_the_sidebar_address_wraps_in_full_in_a_copyable_block():
    at = AppTest.from_file("sidebar_app.py", default_timeout=TIMEOUT_S).run()
    who = get_backend().accounts()[1].address
    at.sidebar.selectbox(key="account").set_value(who).run()
    (code,) = [c for c in at.sidebar.code if c.value == who]
    assert code.proto.wrap_lines, "the whole address, wrapped, not cut at the sidebar's edge"


def test_submit_names_losses_briefly_with_the_full_keras_name_in_the_help():
    b = get_backend()
    bounty_id = scenario.create_bounty(b)
    at = open_page("submit", account=b.accounts()[1].address, bounty_id=bounty_id)
    assert not errors(at), errors(at)
    loss = at.selectbox(key="hp_loss")
    assert loss.options[0] == "sparse cross-entropy" and max(len(o) for o in loss.options) <= 20
    assert "`sparse_categorical_crossentropy`" in loss.help


def test_explorer_events_show_a_short_hash_and_the_full_one_and_evaluate_names_revealers():
    b = get_backend()
    bounty_id = scenario.create_bounty(b)
    scenario.commit_two(b, bounty_id)
    scenario.reveal_two(b, bounty_id)
    at = open_page("explorer", bounty_id=bounty_id)
    assert not errors(at), errors(at)
    events = next(d.value for d in at.dataframe if "transaction hash" in d.value.columns)
    first = events.iloc[0]
    assert len(first["transaction hash"]) == 66 and "…" in first["transaction"]
    assert first["transaction hash"].startswith(first["transaction"].split("…")[0])
    assert list(events.columns[:5]) == ["time (UTC)", "block", "event", "transaction", "details"]
    assert f"Owned by {b.label_of(b.accounts()[0].address)} (" in "\n".join(c.value for c in at.caption)

    at = open_page("evaluate", account=b.accounts()[0].address, bounty_id=bounty_id)
    revealed = next(d.value for d in at.dataframe if "hyperparameters" in d.value.columns)
    assert list(revealed.columns[:3]) == ["participant", "commit #", "posted score"]
    assert all(name.startswith("Participant ") for name in revealed["participant"])
