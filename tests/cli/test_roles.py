"""A whole bounty between three parties, each a separate OS process on its own data folder.

The world (``tests.parties``): one anvil node and one js-ipfs daemon on loopback. The parties: an owner
and two participants, each with its own data folder, its own keystore account funded once from a
dev account of the node, and only the per-role commands (``python -m cli ...``). The owner
publishes to the daemon's RPC API; the participants have no IPFS node and read through the
daemon's HTTP gateway, every byte checked against its CID. Chain time is the world's clock: this
test moves it (``evm_increaseTime`` + ``evm_mine``), no party does. Balances are checked to the
wei against the receipts each command printed with ``--json``.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.parties import FUNDING, World, make_party, new_funded_account, shared_world  # noqa: F401 (the world fixture)

pytestmark = [pytest.mark.slow, pytest.mark.anvil, pytest.mark.ipfsd]

REWARD = 10**18
BOND = 10**16
# two small, different submissions: the tiny protocol trains each in seconds
SUBMISSIONS = {
    "p1": ("--lstm-units", "8", "--dense-layers", "0", "--learning-rate-micro", "5000"),
    "p2": ("--lstm-units", "16", "--dense-layers", "1", "--dropout-permille", "100"),
}


def _files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_bounty_between_three_parties_through_the_per_role_commands(world: World) -> None:
    owner = make_party(world, "owner", owner=True)
    p1, p2 = make_party(world, "p1"), make_party(world, "p2")
    for party in (owner, p1, p2):
        new_funded_account(world, party)

    board = owner.json("board", "deploy", "--yes")["board"]["address"]
    for participant in (p1, p2):
        assert participant.json("board", "join", board)["board"]["address"].lower() == board.lower()

    dataset = owner.json("dataset", "build", "--protocol", "tiny")["dataset"]
    published = owner.json("dataset", "publish", dataset)
    assert {f["name"] for f in published["files"]} >= {"manifest", "train", "validation"}
    created = owner.json("bounty", "create", "--dataset", dataset, "--reward", "1", "--bond", "0.01", "--yes")
    bounty = str(created["bounty"])

    for participant in (p1, p2):
        fetched = participant.json("submit", "fetch", bounty)
        assert set(fetched["cids"]) == {"manifest", "train", "validation"}
        participant.json("submit", "commit", bounty, *SUBMISSIONS[participant.name], "--yes")

    # A refused transaction leaves nothing half-written: no salt for a commit nobody may send now.
    world.advance(601)  # past the submission deadline
    secrets_before = _files(p1.data_dir / "secrets")
    p1.refused("submit", "commit", bounty, "--lstm-units", "4", "--yes")
    assert _files(p1.data_dir / "secrets") == secrets_before
    # no terminal and no --yes: refused in words, nothing sent
    assert "--yes" in p1.refused("submit", "reveal", bounty)

    for participant in (p1, p2):
        participant.json("submit", "reveal", bounty, "--yes")
    world.advance(601)  # past the reveal deadline

    evaluated = owner.json("evaluate", "run", bounty, "--workers", "0", "--yes")
    assert len(evaluated["leaderboard"]) == 2
    assert all(row["score_ppm"] is not None for row in evaluated["leaderboard"])
    posted = owner.json("evaluate", "post", bounty, "--yes")
    assert posted["report"] == evaluated["report"]

    finalized = p2.json("finalize", bounty, "--yes")
    winner = next(p for p in (p1, p2) if p.address.lower() == finalized["leader"].lower())
    loser = p2 if winner is p1 else p1
    best = max(row["score_ppm"] for row in evaluated["leaderboard"])
    assert {r["participant"].lower(): r["score_ppm"] for r in evaluated["leaderboard"]}[
        winner.address.lower()
    ] == best

    withdrawn = winner.json("withdraw", "--yes")
    assert withdrawn["withdrawn_wei"] == REWARD + BOND  # the reward, and the bond credited back at reveal

    # to the wei: funded, minus every fee and value sent, plus what was withdrawn
    assert (
        world.balance(winner.address)
        == withdrawn["balance_wei"]
        == winner.expected_balance(FUNDING, REWARD + BOND)
    )
    assert world.balance(loser.address) == loser.expected_balance(FUNDING)
    assert world.balance(owner.address) == owner.expected_balance(FUNDING)
    assert sum(tx["value_wei"] for tx in owner.spent) == REWARD
    listed = {a["address"]: a for a in loser.json("account", "list")["accounts"]}
    assert listed[loser.address]["balance_wei"] == world.balance(loser.address)


def test_joining_an_address_that_holds_another_contract_is_refused(world: World) -> None:
    stranger = make_party(world, "stranger")
    dev = world.w3.eth.accounts[0]
    # init code PUSH1 1 PUSH1 0 RETURN: a contract whose runtime code is one STOP byte
    tx = world.w3.eth.send_transaction({"from": dev, "data": "0x60016000f3"})
    other = world.w3.eth.wait_for_transaction_receipt(tx)["contractAddress"]
    before = _files(stranger.data_dir)
    sentence = stranger.refused("board", "join", other)
    assert other.lower() in sentence.lower() and "BountyBoard" in sentence, sentence
    assert _files(stranger.data_dir) == before  # nothing remembered


def test_a_node_on_another_chain_than_expected_is_refused(world: World) -> None:
    wrong = make_party(world, "wrong-chain")
    before = _files(wrong.data_dir)
    sentence = wrong.refused("bounty", "list", HYPERBOUNTY_CHAIN_ID="1")
    assert "not chain 1" in sentence, sentence
    assert _files(wrong.data_dir) == before
