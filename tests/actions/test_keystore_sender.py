"""A keystore account unlocked through the actions layer signs locally and can take part in a bounty."""

from __future__ import annotations

import pytest

from actions import submissions, wallet
from chain.accounts import Keystore
from tests.actions import scenario


def test_unlocked_keystore_commits_and_a_wrong_password_is_refused(tmp_path):
    b = scenario.backend()
    source = Keystore(tmp_path / "elsewhere", kdf_iterations=2**10)
    address = source.create("correct horse battery", label="Alice")
    keyfile = (tmp_path / "elsewhere" / f"{address}.json").read_bytes()
    with pytest.raises(Exception, match="Wrong password"):
        wallet.unlock_keystore(b, keyfile, "not the password")
    signer = wallet.unlock_keystore(b, keyfile, "correct horse battery")
    assert signer.address == address and "key" not in repr(signer).lower().replace("keystore", "")
    with pytest.raises(Exception, match="unlock its keystore"):
        b.sender(address)
    assert b.sender(address, {address: signer}) is signer
    with b.lock:
        b.chain.w3.eth.send_transaction({"from": b.accounts()[0].address, "to": address, "value": 10**18})
    bounty_id = scenario.create_bounty(b)
    outcome = submissions.plan_commit(b, signer, bounty_id, scenario.HP_A).execute()
    assert outcome.ok, outcome.error
    assert b.client.submission_view(bounty_id, address)["commit_order"] == 1
