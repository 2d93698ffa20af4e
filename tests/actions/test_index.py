"""The incremental event index agrees with the chain client, and follows a chain that went back."""

from __future__ import annotations

from actions import anyone
from tests.actions import scenario


def _comparable(rows):
    return [
        (
            s.participant,
            s.commit_order,
            s.commitment,
            s.commit_count,
            s.revealed,
            s.hyperparameters,
            s.scored,
            s.accuracy_ppm,
            s.share_claimed,
        )
        for s in rows
    ]


def test_index_matches_the_client_through_a_whole_bounty():
    b = scenario.backend()
    bounty_id = scenario.create_bounty(b)
    assert b.index.submissions(bounty_id) == []
    scenario.commit_two(b, bounty_id)
    assert _comparable(b.index.submissions(bounty_id)) == _comparable(b.client.submissions(bounty_id))
    scenario.reveal_two(b, bounty_id)
    rows = b.index.submissions(bounty_id)
    assert all(s.revealed and s.hyperparameters is not None for s in rows)
    assert _comparable(rows) == _comparable(b.client.submissions(bounty_id))
    # scores come from postScores calldata
    b.chain.advance_time(601)
    scenario.reveal_test_data(b, bounty_id)
    from actions import owner

    report = {
        "submissions": [
            {"participant": s.participant, "status": "scored", "score_ppm": 400_000 + n}
            for n, s in enumerate(rows)
        ],
        "format": "test",
    }
    assert owner.plan_post_scores(b, b.dev_senders()[0], bounty_id, report).execute().ok
    assert _comparable(b.index.submissions(bounty_id)) == _comparable(b.client.submissions(bounty_id))
    names = [(e.name, e.block, e.tx_hash) for e in b.index.events(bounty_id)]
    assert names == [(e.name, e.block, e.tx_hash) for e in b.client.events(bounty_id)]
    assert anyone.created_at(b, bounty_id) == b.client.events(bounty_id)[0].timestamp


def test_index_starts_again_after_a_revert():
    b = scenario.backend()
    bounty_id = scenario.create_bounty(b)
    snapshot = b.chain.snapshot()
    scenario.commit_two(b, bounty_id)
    assert len(b.index.submissions(bounty_id)) == 2
    b.chain.revert(snapshot)
    b.chain.mine(3)  # the chain grows past the old height with other blocks
    assert b.index.submissions(bounty_id) == []
    assert [e.name for e in b.index.events(bounty_id)] == ["BountyCreated"]


def test_index_reads_revealed_hyperparameters_from_calldata_not_the_view(monkeypatch):
    """web3 8 decodes the ``hp`` struct as a dict; the index must read it, not ask ``submissionOf``."""
    b = scenario.backend()
    bounty_id = scenario.create_bounty(b)
    scenario.commit_two(b, bounty_id)
    scenario.reveal_two(b, bounty_id)
    expected = _comparable(b.client.submissions(bounty_id))
    views = []
    real_view = b.client.submission_view

    def counting_view(*args, **kwargs):
        views.append(args)
        return real_view(*args, **kwargs)

    monkeypatch.setattr(b.client, "submission_view", counting_view)
    rows = b.index.submissions(bounty_id)
    assert all(s.revealed and s.hyperparameters is not None for s in rows)
    assert _comparable(rows) == expected
    assert views == []


def test_a_restarted_index_reads_only_new_blocks_and_survives_a_broken_file(monkeypatch):
    from actions.index import BoardIndex

    b = scenario.backend()
    bounty_id = scenario.create_bounty(b)
    scenario.commit_two(b, bounty_id)
    before = _comparable(b.index.submissions(bounty_id))
    saved = b.index._file()
    assert saved.is_file() and str(b.chain.chain_id) in saved.name and b.client.address in saved.name

    scans = []
    real_get_logs = b.chain.w3.eth.get_logs
    monkeypatch.setattr(b.chain.w3.eth, "get_logs", lambda f: scans.append(dict(f)) or real_get_logs(f))
    restarted = BoardIndex(b)  # what a restarted dashboard builds
    assert _comparable(restarted.submissions(bounty_id)) == before
    assert scans == []  # nothing mined since: no log scan at all
    scenario.reveal_two(b, bounty_id)
    rows = restarted.submissions(bounty_id)
    assert _comparable(rows) == _comparable(b.client.submissions(bounty_id))
    assert scans and scans[0]["fromBlock"] > int(b.client.from_block)  # only the new blocks

    saved.write_text("{ not json")
    scans.clear()
    rebuilt = BoardIndex(b)
    assert _comparable(rebuilt.submissions(bounty_id)) == _comparable(rows)
    assert scans[0]["fromBlock"] == int(b.client.from_block)  # a broken file means a full scan
    assert BoardIndex(b)._next_block == rebuilt._next_block  # ...and a good file again
