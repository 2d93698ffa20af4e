"""A coinpaprika on 127.0.0.1 that, like the real API, only has the ticks up to its own clock.

``serve(monkeypatch)`` starts it and makes its clock this machine's wall clock for ``ml.data``
(what decides whether a range has settled); ``history(end)`` is what the Preprocess page would
load from it before a bounty. Used by the forward-test tests of ml/ and actions/.
"""

from __future__ import annotations

import contextlib
import json
import threading
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import numpy as np
import pandas as pd

from ml import data as ml_data

STEP = 900  # the tiny protocol's 15-minute interval
IDS = {"btc-bitcoin": "BTC", "ltc-litecoin": "LTC"}
COINS = [
    {"id": coin_id, "name": symbol, "symbol": symbol, "rank": rank, "is_active": True, "type": "coin"}
    for rank, (coin_id, symbol) in enumerate(IDS.items(), start=1)
]


class JsonHandler(BaseHTTPRequestHandler):
    """A quiet handler that answers JSON (shared by the fake coinpaprika servers of the tests)."""

    def log_message(self, *args):  # keep test output quiet
        pass

    def _send(self, status, body):
        raw = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        self.end_headers()
        self.wfile.write(raw)


def price(coin_id: str, t: int) -> float:
    """A deterministic, bumpy price per coin and time (any past time has one fixed price)."""
    base = 30_000.0 if coin_id.startswith("btc") else 80.0
    return round(base * (1 + 0.01 * np.sin(t / 5_000) + 0.003 * np.cos(t / 777)), 6)


class World:
    """The fake API's state: its clock (what exists) and a log of the ranges asked for."""

    def __init__(self, clock: int) -> None:
        self.clock = clock
        self.historical: list[tuple[str, int, int]] = []
        self.base_url = ""


def _handler(world: World):
    class Handler(JsonHandler):
        def do_GET(self):
            url = urlparse(self.path)
            query = {k: v[0] for k, v in parse_qs(url.query).items()}
            if url.path == "/v1/coins":
                return self._send(200, COINS)
            parts = url.path.split("/")
            if len(parts) == 5 and parts[2] == "tickers" and parts[4] == "historical" and parts[3] in IDS:
                start, end = int(query["start"]), int(query["end"])
                world.historical.append((parts[3], start, end))
                if start > world.clock:
                    return self._send(400, {"error": "Invalid value provided for the start parameter"})
                step = {"5m": 300, "15m": 900, "1h": 3600}[query["interval"]]
                ticks = [
                    {
                        "timestamp": datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                        "price": price(parts[3], t),
                        "volume_24h": 1_000_000 + (t // step) % 97,
                        "market_cap": 1,
                    }
                    for t in range(start, min(end, world.clock) + 1, step)
                ]
                return self._send(200, ticks[: int(query["limit"])])
            return self._send(404, {"error": "id not found"})

    return Handler


@contextlib.contextmanager
def serve(monkeypatch, clock: int = 1_700_000_000):
    """A coinpaprika on 127.0.0.1 whose clock is also this machine's wall clock for ml.data."""
    state = World(clock=clock)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
    thread.start()
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}/v1"
    monkeypatch.setattr(ml_data, "wall_clock", lambda: state.clock)
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def history(end: int, rows: int = 1500) -> dict[str, pd.DataFrame]:
    """What the Preprocess page loads from coinpaprika: 15-minute ticks up to ``end``."""
    times = end // STEP * STEP - STEP * np.arange(rows)[::-1]
    index = pd.Index(times.astype(np.int64), name="time")
    return {
        symbol: pd.DataFrame(
            {
                "close": [price(coin_id, int(t)) for t in times],
                "volume": [1_000_000.0 + (int(t) // STEP) % 97 for t in times],
            },
            index=index,
        )
        for coin_id, symbol in IDS.items()
    }
