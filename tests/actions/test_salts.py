"""Salts that cannot be lost, through the actions layer: a damaged salt file never blocks a reveal
or an export, and a salt lost in the main place comes back from its copy."""

from __future__ import annotations

import json

from actions import submissions
from tests.actions import scenario


def _commit_then_replace(b, bounty_id: int):
    """p1 commits HP_A, then replaces it with HP_B: the HP_A salt file is stale."""
    p1 = b.dev_senders()[1]
    for hp in (scenario.HP_A, scenario.HP_B):
        outcome = submissions.plan_commit(b, p1, bounty_id, hp).execute()
        assert outcome.ok, outcome.error
    store = b.client.secrets
    stale, right = store.submissions(b.client.chain_id, b.client.address, bounty_id, p1.address)
    assert (stale.hyperparameters, right.hyperparameters) == (scenario.HP_A, scenario.HP_B)
    return p1, stale, right


def _salt_files(b, secret):
    """The main file and its copy, found by the commitment they are named after."""
    store = b.client.secrets
    (main,) = store.folder.rglob(f"0x{secret.commitment.hex()}.json")
    return main, store.backup / main.relative_to(store.folder)


def test_a_damaged_stale_salt_beside_the_right_one_does_not_stop_the_reveal():
    b = scenario.backend()
    bounty_id = scenario.create_bounty(b)
    p1, stale, _ = _commit_then_replace(b, bounty_id)
    main, copy = _salt_files(b, stale)
    main.write_bytes(b'{"kind": "submission", "salt": "0x12')  # truncated
    copy.write_bytes(b"\x00garbage")
    b.chain.advance_time(601)
    reveal = submissions.plan_reveal(b, p1, bounty_id)
    skipped = [value for field, value in reveal.details if field == "Skipped salt file"]
    assert len(skipped) == 1 and str(main) in skipped[0] and "damaged" in skipped[0]
    outcome = reveal.execute()
    assert outcome.ok, outcome.error
    view = b.client.submission_view(bounty_id, p1.address)
    assert view["revealed"] and view["hyperparameters"] == scenario.HP_B


def test_export_leaves_out_a_damaged_file_names_it_and_keeps_the_rest():
    b = scenario.backend()
    bounty_id = scenario.create_bounty(b)
    p1, stale, right = _commit_then_replace(b, bounty_id)
    for path in _salt_files(b, stale):
        path.write_text("[]")
    exported = submissions.salt_export(b, p1.address)
    assert exported.count == 1
    assert [s["commitment"] for s in json.loads(exported.text)["secrets"]] == ["0x" + right.commitment.hex()]
    assert len(exported.skipped) == 1 and stale.commitment.hex() in exported.skipped[0]
    other = b.dev_senders()[2].address
    assert submissions.salt_export(b, other).skipped == []  # p1's damage is not another account's


def test_a_salt_lost_in_the_main_place_comes_back_from_its_copy_and_reveals():
    b = scenario.backend()
    bounty_id = scenario.create_bounty(b)
    p1, _, right = _commit_then_replace(b, bounty_id)
    main, copy = _salt_files(b, right)
    assert copy.exists()  # written before the commit was sent
    main.unlink()
    b.chain.advance_time(601)
    outcome = submissions.plan_reveal(b, p1, bounty_id).execute()
    assert outcome.ok, outcome.error
    assert main.exists()  # put back from the copy
