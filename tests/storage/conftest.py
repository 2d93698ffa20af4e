"""Fixtures: one real js-ipfs daemon per session, and a ``store`` fixture run against both backends."""

from __future__ import annotations

import pytest

from storage.embedded import EmbeddedStore
from storage.jsipfs import JsIpfsDaemon, jsipfs_available
from storage.kubo import KuboStore
from tests.tooling import require


@pytest.fixture(scope="session")
def jsipfs_daemon(tmp_path_factory):
    """A real IPFS node on 127.0.0.1 (free ports, its own repo); fails under CI=true if not installed."""
    require(jsipfs_available(), "the js-ipfs daemon (npm `ipfs` in tools/node)")
    with JsIpfsDaemon(tmp_path_factory.mktemp("jsipfs") / "repo") as daemon:
        yield daemon
    assert not daemon.running


@pytest.fixture
def kubo_store(jsipfs_daemon):
    # Short search limits: content missing from this offline node is reported within a second.
    return KuboStore(
        jsipfs_daemon.api_multiaddr, gateway=jsipfs_daemon.gateway_url, find_timeout=1, has_timeout=1
    )


@pytest.fixture
def embedded_store(tmp_path):
    return EmbeddedStore(tmp_path / "ipfs")


@pytest.fixture(params=["embedded", pytest.param("kubo", marks=pytest.mark.ipfsd)])
def store(request):
    """Each test using it runs once per backend: both must behave the same."""
    return request.getfixturevalue(f"{request.param}_store")


def pytest_collection_modifyitems(config, items):
    """pytest resets warning filters per test: re-apply storage.kubo's filter for ipfshttpclient."""
    mark = pytest.mark.filterwarnings("ignore:The 'strict' parameter:FutureWarning")
    for item in items:
        if "tests/storage/" in item.nodeid:
            item.add_marker(mark)
