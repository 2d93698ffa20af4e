"""A participant whose own store is empty loads the owner's task through a gateway (actions level).

The owner's data dir publishes to a real IPFS node (the js-ipfs daemon) and creates the bounty; the
participant has another data dir, an empty embedded store and only the daemon's HTTP gateway, and
reads the same chain (here the owner's embedded chain, shared in process; the per-role commands test
does the same across OS processes on anvil).
"""

from __future__ import annotations

import pytest

import settings as settings_module
from actions import datasets, tasks
from actions.session import Backend, close_all, get_backend
from settings import Settings
from storage import NotFound
from tests.actions import scenario


@pytest.fixture
def owner(jsipfs_daemon, monkeypatch):
    monkeypatch.setenv("HYPERBOUNTY_IPFS_API", jsipfs_daemon.api_multiaddr)
    settings_module.get_settings.cache_clear()
    yield get_backend()
    close_all()


def participant(owner: Backend, data_dir, gateway: str = "") -> Backend:
    """Another install on the owner's chain: its own data dir and store, and the given gateway."""
    return Backend(
        settings=Settings(data_dir=data_dir, ipfs_gateway=gateway), chain=owner.chain, _client=owner.client
    )


@pytest.mark.ipfsd
def test_a_participant_loads_the_task_through_the_gateway(owner, jsipfs_daemon, tmp_path):
    built = scenario.tiny_dataset()
    published = datasets.publish(owner, built)
    assert list(published) == ["train", "validation", "manifest"]
    for name, file in published.items():
        assert (file.name, file.held, file.pinned) == (name, True, True)
        assert file.gateway_url == f"{jsipfs_daemon.gateway_url}/ipfs/{file.cid}"
    bounty_id = scenario.create_bounty(owner, built)

    offline = participant(owner, tmp_path / "offline")
    with pytest.raises(NotFound, match="Set HYPERBOUNTY_IPFS_GATEWAY"):
        tasks.fetch_task(offline, bounty_id)

    remote = participant(owner, tmp_path / "remote", gateway=jsipfs_daemon.gateway_url)
    assert remote.store.kind == "embedded" and remote.store.list() == []
    manifest, files = tasks.fetch_task(remote, bounty_id)
    assert manifest.cid() == built.manifest.cid()
    assert files == {"train": built.files["train"], "validation": built.files["validation"]}
    assert set(remote.store.list()) == {published[name].cid for name in published}, "kept for next time"
