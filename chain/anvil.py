"""A managed anvil node: started as a subprocess on 127.0.0.1, state kept in the data dir.

Modelled on ape's subprocess provider: start the binary with its output going to a log file
(``<data>/chain/anvil/anvil.log``), poll until the RPC answers, and stop it with SIGTERM on
``close``, at interpreter exit and on SIGTERM to this process, so anvil writes its ``--state``
file (``<data>/chain/anvil/state.json``). ``--state-interval`` also dumps it every few seconds,
so even a killed dashboard loses at most that much.
"""

from __future__ import annotations

import atexit
import contextlib
import json
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path
from types import FrameType
from typing import Any, ClassVar

from web3 import Web3
from web3.types import RPCEndpoint

import durable
from chain.compile import EVM_VERSION
from chain.errors import ChainError, NodeUnavailable
from chain.providers import DevChain, SnapshotId
from settings import Settings

ANVIL_PACKAGE = Path("node_modules") / "@foundry-rs" / "anvil-linux-amd64" / "bin" / "anvil"
ANVIL_CHAIN_ID = 31337
READY_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 10.0
STATE_INTERVAL_S = 2


def anvil_binary(settings: Settings) -> Path | None:
    """The anvil executable from the npm package under ``settings.node_tools_dir``, if installed."""
    candidate = Path(settings.node_tools_dir) / ANVIL_PACKAGE
    return candidate if candidate.is_file() else None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_in_use(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


class AnvilProcess:
    """The anvil subprocess: start, ready-check, stop (SIGTERM, then kill after a grace period)."""

    _live: ClassVar[set[AnvilProcess]] = set()
    _hooks_installed = False
    _hooks_lock = threading.Lock()

    def __init__(self, binary: Path, folder: Path, port: int, accounts: int) -> None:
        self.binary = binary
        self.folder = folder
        self.port = port
        self.accounts = accounts
        self.state_file = folder / "state.json"
        self.log_file = folder / "anvil.log"
        self.url = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        return [
            str(self.binary),
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "--chain-id", str(ANVIL_CHAIN_ID),
            "--accounts", str(self.accounts),
            "--state", str(self.state_file),
            "--state-interval", str(STATE_INTERVAL_S),
            "--preserve-historical-states",
            # the fork the contract is compiled for, so anvil and the embedded chain run the same EVM
            "--hardfork", EVM_VERSION,
        ]  # fmt: skip

    def start(self) -> None:
        if port_in_use(self.port):
            raise ChainError(
                f"Port {self.port} on 127.0.0.1 is already in use, so anvil cannot start there; stop the "
                "program using it or set HYPERBOUNTY_ANVIL_PORT to a free port."
            )
        self.folder.mkdir(parents=True, exist_ok=True)
        log = open(self.log_file, "ab")  # noqa: SIM115 (handed to the child)
        log.write(f"\n--- starting anvil at {time.strftime('%Y-%m-%d %H:%M:%S')} ---\n".encode())
        log.flush()
        try:
            self.process = subprocess.Popen(
                self.command(), stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )
        finally:
            log.close()
        self._install_hooks()
        AnvilProcess._live.add(self)
        self._wait_ready()

    def _wait_ready(self) -> None:
        w3 = Web3(Web3.HTTPProvider(self.url, request_kwargs={"timeout": 2}))
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                self.stop()
                raise NodeUnavailable(
                    f"anvil exited at start (code {self.process.returncode}); see {self.log_file}: "
                    f"{self.log_tail()}"
                )
            with contextlib.suppress(Exception):
                if w3.eth.chain_id:
                    return
            time.sleep(0.05)
        self.stop()
        raise NodeUnavailable(f"anvil did not answer within {READY_TIMEOUT_S:.0f} s; see {self.log_file}.")

    def log_tail(self, lines: int = 5) -> str:
        try:
            return " | ".join(self.log_file.read_text(errors="replace").strip().splitlines()[-lines:])
        except OSError:
            return ""

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        """SIGTERM, so anvil dumps its state; kill only if it ignores that for STOP_TIMEOUT_S."""
        process, self.process = self.process, None
        AnvilProcess._live.discard(self)
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    @classmethod
    def _install_hooks(cls) -> None:
        with cls._hooks_lock:
            if cls._hooks_installed:
                return
            cls._hooks_installed = True
            atexit.register(cls.stop_all)
            with contextlib.suppress(ValueError):  # only the main thread may set signal handlers
                previous = signal.getsignal(signal.SIGTERM)

                def on_sigterm(signum: int, frame: FrameType | None) -> None:
                    cls.stop_all()
                    if callable(previous):
                        previous(signum, frame)
                    else:
                        raise SystemExit(128 + signum)

                signal.signal(signal.SIGTERM, on_sigterm)

    @classmethod
    def stop_all(cls) -> None:
        for process in list(cls._live):
            process.stop()


class AnvilChain(DevChain):
    """A connection to an anvil node this process started (and stops on close)."""

    kind = "anvil"

    def __init__(self, node: AnvilProcess) -> None:
        self.node = node
        self.clock_file = node.folder / "clock.json"
        w3 = Web3(Web3.HTTPProvider(node.url, request_kwargs={"timeout": 30}))
        super().__init__(w3)
        self._restore_clock()

    def _restore_clock(self) -> None:
        """anvil forgets its time offset on restart; put the clock back where the user left it.

        Without this a chain advanced by hours would mine its next block hours before the latest
        one after a restart, and a deadline that had passed would be open again.
        """
        try:
            offset = int(json.loads(self.clock_file.read_text())["offset"])
        except (OSError, ValueError, KeyError, TypeError):
            offset = 0
        target = max(self.latest_timestamp(), int(time.time()) + offset)
        if target > int(time.time()):
            self._rpc("evm_setTime", [target])

    def _save_clock(self, ts: int) -> None:
        durable.atomic_write_json(self.clock_file, {"offset": int(ts) - int(time.time())}, indent=None)

    @classmethod
    def start(cls, settings: Settings, port: int | None = None) -> AnvilChain:
        binary = anvil_binary(settings)
        if binary is None:
            raise NodeUnavailable(
                f"anvil is not installed (looked for {Path(settings.node_tools_dir) / ANVIL_PACKAGE}); run "
                "`bash scripts/setup.sh` or set HYPERBOUNTY_CHAIN=embedded."
            )
        node = AnvilProcess(
            binary,
            settings.path("chain", "anvil"),
            port or settings.anvil_port,
            accounts=max(10, settings.participants + 1),
        )
        node.start()
        try:
            return cls(node)
        except Exception:
            node.stop()
            raise

    @property
    def endpoint(self) -> str:
        return self.node.url

    @property
    def description(self) -> str:
        return f"anvil at {self.node.url}, chain id {self.chain_id}"

    def accounts(self) -> list[str]:
        return [str(address) for address in self._call(lambda: self.w3.eth.accounts)[: self.node.accounts]]

    def close(self) -> None:
        if not self.closed:
            self.node.stop()
        super().close()

    def _rpc(self, method: str, params: list[Any]) -> Any:
        with self.lock:
            response = self._call(lambda: self.w3.provider.make_request(RPCEndpoint(method), params))
        if "error" in response:
            raise ChainError(f"anvil refused {method}: {response['error'].get('message', response['error'])}")
        return response.get("result")

    def set_next_timestamp(self, ts: int) -> None:
        with self.lock:
            ts = self._check_future(ts)
            self._rpc("evm_setNextBlockTimestamp", [ts])
            self._save_clock(ts)

    def mine(self, blocks: int = 1) -> None:
        if blocks < 1:
            raise ChainError("Mine at least one block.")
        self._rpc("anvil_mine", [hex(int(blocks))])

    def snapshot(self) -> SnapshotId:
        return str(self._rpc("evm_snapshot", []))

    def revert(self, snapshot_id: SnapshotId) -> None:
        if not self._rpc("evm_revert", [snapshot_id]):
            raise ChainError(
                f"anvil has no snapshot {snapshot_id!r} (each snapshot can be reverted to once)."
            )
