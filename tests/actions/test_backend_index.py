"""The backend's index is ``chain.index.BoardIndex``, kept under the data dir, and dates a bounty.

The index itself is tested on both chains in ``tests/chain/test_index.py``; this is the wiring.
"""

from __future__ import annotations

from actions import bounties
from chain.index import BoardIndex
from tests.actions import scenario


def test_the_backend_index_is_kept_under_the_data_dir_and_dates_the_bounty():
    b = scenario.backend()
    bounty_id = scenario.create_bounty(b)
    scenario.commit_two(b, bounty_id)
    assert isinstance(b.index, BoardIndex) and b.index is b.index
    assert [s.commit_order for s in b.index.submissions(bounty_id)] == [1, 2]
    saved = b.index.path
    assert saved == b.settings.path("index", f"{b.chain.chain_id}-{b.client.address}.json")
    assert saved.is_file()
    created = b.index.events(bounty_id)[0]
    assert created.name == "BountyCreated"
    block_time = b.chain.w3.eth.get_block(created.block)["timestamp"]
    assert bounties.created_at(b, bounty_id) == created.timestamp == block_time
