"""The coinpaprika client against a local HTTP server that answers like the real API."""

from __future__ import annotations

import socket
import threading
from datetime import UTC, datetime
from http.server import ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest

from ml.data import CoinpaprikaClient, DataError
from tests.ml.fake_paprika import JsonHandler

COINS = [
    {
        "id": "btc-bitcoin",
        "name": "Bitcoin",
        "symbol": "BTC",
        "rank": 1,
        "is_new": False,
        "is_active": True,
        "type": "coin",
    },
    {
        "id": "btc-fake",
        "name": "Fake",
        "symbol": "BTC",
        "rank": 900,
        "is_new": False,
        "is_active": True,
        "type": "token",
    },
    {
        "id": "eth-ethereum",
        "name": "Ethereum",
        "symbol": "ETH",
        "rank": 2,
        "is_new": False,
        "is_active": True,
        "type": "coin",
    },
]


class Api:
    """Scripted behaviour: a queue of statuses to answer before succeeding, and a request log."""

    def __init__(self):
        self.requests: list[tuple[str, dict, str | None]] = []
        self.fail_with: list[int] = []
        self.always: int | None = None


def _handler(api: Api):
    class Handler(JsonHandler):
        def do_GET(self):
            url = urlparse(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            api.requests.append((url.path, query, self.headers.get("Authorization")))
            status = api.always or (api.fail_with.pop(0) if api.fail_with else 200)
            if status != 200:
                body = {402: "Your plan does not allow this", 429: "Too many requests"}.get(status, "error")
                return self._send(status, {"error": body})
            if url.path == "/v1/coins":
                return self._send(200, COINS)
            if url.path.startswith("/v1/tickers/") and url.path.endswith("/historical"):
                return self._send(200, self._ticks(query))
            return self._send(404, {"error": "id not found"})

        def _ticks(self, query):
            start, end = int(query["start"]), int(query["end"])
            step = {"5m": 300, "15m": 900, "1h": 3600}[query["interval"]]
            ticks = []
            for t in range(start, end + 1, step)[: int(query["limit"])]:
                stamp = datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                ticks.append(
                    {
                        "timestamp": stamp,
                        "price": 100 + (t - start) / step,
                        "volume_24h": 1_000_000 + t % 7,
                        "market_cap": 2_000_000_000,
                    }
                )
            return ticks

    return Handler


@pytest.fixture
def api():
    state = Api()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    yield state
    server.shutdown()
    server.server_close()


def _client(api, tmp_path, **kwargs):
    sleeps = []
    client = CoinpaprikaClient(
        base_url=api.base_url,
        cache_dir=tmp_path / "cache",
        sleep=sleeps.append,
        api_key=kwargs.pop("api_key", ""),
        **kwargs,
    )
    return client, sleeps


def test_coins_and_historical_ticks_become_frames(api, tmp_path):
    client, _ = _client(api, tmp_path)
    assert client.coin_id("btc") == "btc-bitcoin"  # the best-ranked coin with the symbol
    frame = client.historical("btc-bitcoin", 1_600_000_000, 1_600_000_000 + 3 * 3600, "15m")
    assert len(frame) == 13
    assert frame.index[0] == 1_600_000_000
    assert list(frame["close"][:3]) == [100, 101, 102]
    frames = client.load(["BTC", "ETH"], 1_600_000_000, 1_600_003_600, "5m")
    assert sorted(frames) == ["BTC", "ETH"]


def test_long_ranges_are_fetched_in_pages(api, tmp_path):
    client, _ = _client(api, tmp_path)
    start = 1_600_000_000
    frame = client.historical("eth-ethereum", start, start + 6000 * 300, "5m")
    assert len(frame) == 6001
    pages = [r for r in api.requests if r[0].endswith("/historical")]
    assert len(pages) == 2


def test_nothing_is_fetched_twice(api, tmp_path):
    client, _ = _client(api, tmp_path)
    client.historical("btc-bitcoin", 1_600_000_000, 1_600_003_600, "5m")
    before = len(api.requests)
    again = CoinpaprikaClient(base_url=api.base_url, cache_dir=tmp_path / "cache", api_key="")
    frame = again.historical("btc-bitcoin", 1_600_000_000, 1_600_003_600, "5m")
    assert len(api.requests) == before
    assert again.requests_made == 0
    assert len(frame) == 13


def test_pro_key_is_sent_but_never_cached(api, tmp_path):
    client, _ = _client(api, tmp_path, api_key="secret-key-123")
    client.coins()
    assert api.requests[-1][2] == "secret-key-123"
    for cached in (tmp_path / "cache").iterdir():
        assert "secret-key-123" not in cached.read_text()


def test_default_base_url_depends_on_the_key():
    assert CoinpaprikaClient(api_key="k").base_url == "https://api-pro.coinpaprika.com/v1"
    assert CoinpaprikaClient(api_key="").base_url == "https://api.coinpaprika.com/v1"


def test_rate_limit_is_retried_with_backoff(api, tmp_path):
    api.fail_with = [429, 500]
    client, sleeps = _client(api, tmp_path, retries=3, backoff_s=0.5)
    assert client.coins()[0]["id"] == "btc-bitcoin"
    assert sleeps == [0.5, 1.0]


def test_persistent_rate_limit_says_to_wait(api, tmp_path):
    api.always = 429
    client, sleeps = _client(api, tmp_path, retries=2)
    with pytest.raises(DataError, match=r"rate limit .*wait a minute"):
        client.coins()
    assert len(sleeps) == 2


def test_payment_required_says_the_plan_is_too_small_and_is_not_retried(api, tmp_path):
    api.always = 402
    client, sleeps = _client(api, tmp_path)
    with pytest.raises(DataError, match=r"plan does not include this data \(HTTP 402"):
        client.historical("btc-bitcoin", 1_600_000_000, 1_600_003_600, "5m")
    assert sleeps == []


def test_no_network_says_so(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens here
    client = CoinpaprikaClient(
        base_url=f"http://127.0.0.1:{port}/v1",
        cache_dir=tmp_path,
        api_key="",
        retries=1,
        sleep=lambda s: None,
        timeout_s=2,
    )
    with pytest.raises(DataError, match=r"No network: .*bundled dataset"):
        client.coins()


def test_bad_requests_are_refused_before_any_fetch(api, tmp_path):
    client, _ = _client(api, tmp_path)
    with pytest.raises(DataError, match="no 1m ticks"):
        client.historical("btc-bitcoin", 0, 100, "1m")
    with pytest.raises(DataError, match="after its start"):
        client.historical("btc-bitcoin", 100, 100, "5m")
    with pytest.raises(DataError, match="DOGE"):
        client.coin_id("DOGE")
    assert all(r[0] == "/v1/coins" for r in api.requests)
