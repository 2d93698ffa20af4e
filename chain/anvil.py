"""A managed anvil node: started as a subprocess on 127.0.0.1, state kept in the data dir.

Modelled on ape's subprocess provider: start the binary with its output going to a log file
(``<data>/chain/anvil/anvil.log``), poll until the RPC answers, and stop it with SIGTERM on
``close``, at interpreter exit and on SIGTERM to this process, so anvil writes its ``--state``
file (``<data>/chain/anvil/state.json``). ``--state-interval`` also dumps it every few seconds,
so even a killed dashboard loses at most that much.

A killed dashboard (SIGKILL: no atexit, no handler) must not leave anvil behind on the port: anvil
gets the parent-death signal (``lifeline``; started from a thread that lives as long as the process,
since the kernel ties the signal to the starting thread), and ``<data>/chain/anvil/anvil.pid``
names the node and the process that started it. At the next start a node from that file that is
still running is recognised (the pid is an anvil on this data dir's state file) and, when the process
that started it is gone, stopped with SIGTERM (so it saves its state) and a log line, and a fresh one
starts; one whose starter still runs is explained, never reported as a bare "port in use". A stale
node is stopped rather than reused because this process must own its node: stop it on close, and log
and restart it.

One node for several installs: a program whose port already holds an anvil for chain 31337 (started
by another install, another data dir) uses that node instead of starting its own, provided its genesis
block is the one this data dir's deployment registry remembers for the chain (if it remembers any: a
node restarted from scratch, or another install's fresh node, is refused in words). Only the program
that started the node stops it; a sharing program's ``close`` leaves it running, and its clock is the
starter's to keep (``clock.json`` in the starter's data dir).
"""

from __future__ import annotations

import atexit
import contextlib
import json
import logging
import os
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path
from types import FrameType
from typing import IO, Any, ClassVar

from web3 import Web3
from web3.types import RPCEndpoint

import durable
import lifeline
from chain.accounts import DEV_BALANCE_ETH
from chain.compile import EVM_VERSION
from chain.errors import ChainError, NodeUnavailable
from chain.providers import DevChain, SnapshotId
from settings import Settings

ANVIL_PACKAGE = Path("node_modules") / "@foundry-rs" / "anvil-linux-amd64" / "bin" / "anvil"
ANVIL_CHAIN_ID = 31337
READY_TIMEOUT_S = 20.0
STOP_TIMEOUT_S = 10.0
STATE_INTERVAL_S = 2
PID_FILE = "anvil.pid"

log = logging.getLogger(__name__)


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


def _read_pid_file(path: Path) -> tuple[int, int, int] | None:
    """(anvil's pid, the pid of the process that started it, its port) from ``anvil.pid``."""
    try:
        record = json.loads(path.read_text())
        return int(record["pid"]), int(record["owner"]), int(record["port"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _proc_stat(pid: int) -> list[str] | None:
    """The fields of ``/proc/<pid>/stat`` after the command name (state, ppid, ...); None if gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return text[text.rindex(")") + 2 :].split()


def _alive(pid: int) -> bool:
    """A process that runs (a zombie has exited: it only waits for its parent to read its status)."""
    stat = _proc_stat(pid)
    return stat is not None and stat[0] not in ("Z", "X")


def _parent_of(pid: int) -> int | None:
    stat = _proc_stat(pid)
    return int(stat[1]) if stat is not None else None


def _command_line(pid: int) -> list[str]:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def _chain_id_at(url: str) -> int | None:
    with contextlib.suppress(Exception):
        return int(Web3(Web3.HTTPProvider(url, request_kwargs={"timeout": 1})).eth.chain_id)
    return None


def _terminate(pid: int) -> None:
    """SIGTERM a process that is not our child, wait until it has exited, SIGKILL it if it ignores that."""
    for sig, wait_s in ((signal.SIGTERM, STOP_TIMEOUT_S), (signal.SIGKILL, STOP_TIMEOUT_S)):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, sig)
        deadline = time.monotonic() + wait_s
        while _alive(pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        if not _alive(pid):
            return


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
        self.pid_file = folder / PID_FILE
        self.url = f"http://127.0.0.1:{port}"
        self.process: subprocess.Popen[bytes] | None = None

    def command(self) -> list[str]:
        return [
            str(self.binary),
            "--host", "127.0.0.1",
            "--port", str(self.port),
            "--chain-id", str(ANVIL_CHAIN_ID),
            "--accounts", str(self.accounts),
            "--balance", str(DEV_BALANCE_ETH),
            "--state", str(self.state_file),
            "--state-interval", str(STATE_INTERVAL_S),
            "--preserve-historical-states",
            # the fork the contract is compiled for, so anvil and the embedded chain run the same EVM
            "--hardfork", EVM_VERSION,
        ]  # fmt: skip

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self._stop_stale_node()
        if port_in_use(self.port):
            raise ChainError(self._busy_port_sentence())
        self._launch()

    def start_or_share(self, remembered_genesis: str = "") -> bool:
        """Start anvil, or find one already serving on the port that this data dir may share (chain
        31337, and ``remembered_genesis`` if not empty); True when shared. Anything else there is refused
        with a sentence."""
        self.folder.mkdir(parents=True, exist_ok=True)
        self._stop_stale_node()
        if not port_in_use(self.port):
            self._launch()
            return False
        refusal = self._refusal_to_share(remembered_genesis)
        if refusal:
            raise ChainError(refusal)
        return True

    def _refusal_to_share(self, remembered_genesis: str) -> str:
        """Why the node on the port cannot be shared ("" if it can)."""
        w3 = Web3(Web3.HTTPProvider(self.url, request_kwargs={"timeout": 2}))
        try:
            chain_id = int(w3.eth.chain_id)
            version = str(w3.provider.make_request(RPCEndpoint("web3_clientVersion"), []).get("result") or "")
            genesis = w3.eth.get_block(0)["hash"].to_0x_hex()
        except Exception:
            return self._busy_port_sentence()
        if chain_id != ANVIL_CHAIN_ID or not version.lower().startswith("anvil"):
            node = f"{version.split('/')[0] or 'a node'} for chain {chain_id}"
            return (
                f"Port {self.port} on 127.0.0.1 is already in use by {node}, not an anvil for chain "
                f"{ANVIL_CHAIN_ID}, so this install can neither share it nor start anvil there; stop that "
                "node, or set HYPERBOUNTY_ANVIL_PORT to a free port."
            )
        if remembered_genesis and genesis != remembered_genesis:
            return (
                f"The anvil on port {self.port} is not the chain this data dir remembers: its genesis block "
                f"is {genesis[:10]}…, not {remembered_genesis[:10]}… (it started from scratch, or it is "
                "another install's node). Set HYPERBOUNTY_ANVIL_PORT to a free port to start this data dir's "
                f"own node, or set HYPERBOUNTY_CHAIN={self.url} and deploy or join a board there."
            )
        return ""

    def _launch(self) -> None:
        log_handle = open(self.log_file, "ab")  # noqa: SIM115 (handed to the child)
        log_handle.write(f"\n--- starting anvil at {time.strftime('%Y-%m-%d %H:%M:%S')} ---\n".encode())
        log_handle.flush()
        try:
            # from a thread that outlives this call: the parent-death signal follows the starting thread
            self.process = lifeline.in_lasting_thread(lambda: self._spawn(log_handle))
        finally:
            log_handle.close()
        durable.atomic_write_json(
            self.pid_file, {"pid": self.process.pid, "owner": os.getpid(), "port": self.port}, indent=None
        )
        self._install_hooks()
        AnvilProcess._live.add(self)
        self._wait_ready()

    def _spawn(self, log_handle: IO[bytes]) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            self.command(),
            stdout=log_handle,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            preexec_fn=lifeline.preexec_die_with_parent(),  # killed with this process, even by SIGKILL
        )

    def _stop_stale_node(self) -> None:
        """The node the PID file names, if it still runs: stopped when its starter is gone, else explained."""
        record = _read_pid_file(self.pid_file)
        if record is None:
            return
        pid, owner, port = record
        if not _alive(pid) or not self._is_this_data_dirs_anvil(pid):
            self.pid_file.unlink(missing_ok=True)  # gone, or the pid now belongs to another program
            return
        url = f"http://127.0.0.1:{port}"
        if _alive(owner) and _parent_of(pid) == owner:
            raise ChainError(
                f"anvil for this data dir already runs as process {pid} on port {port}, started by process "
                f"{owner}, which is still running; close that dashboard or script first, or set "
                f"HYPERBOUNTY_CHAIN={url} to share its node."
            )
        chain_id = _chain_id_at(url)
        answer = f"answers as chain {chain_id}" if chain_id is not None else "does not answer"
        message = (
            f"anvil process {pid} on port {port}, started for this data dir by process {owner} that is gone, "
            f"still runs ({answer}): stopping it (it saves its state first) to start a fresh node"
        )
        log.warning(message)
        with contextlib.suppress(OSError), open(self.log_file, "a") as handle:
            handle.write(f"\n--- {time.strftime('%Y-%m-%d %H:%M:%S')}: {message} ---\n")
        _terminate(pid)
        self.pid_file.unlink(missing_ok=True)

    def _is_this_data_dirs_anvil(self, pid: int) -> bool:
        args = _command_line(pid)
        if not args or Path(args[0]).name != "anvil" or "--state" not in args[:-1]:
            return False
        return args[args.index("--state") + 1] == str(self.state_file)

    def _busy_port_sentence(self) -> str:
        chain_id = _chain_id_at(self.url)
        holder = (
            f"a node for chain {chain_id} that this data dir did not start"
            if chain_id is not None
            else "a program that is not an Ethereum node"
        )
        return (
            f"Port {self.port} on 127.0.0.1 is already in use by {holder}, so anvil cannot start there; stop "
            "the program using it or set HYPERBOUNTY_ANVIL_PORT to a free port."
        )

    def _wait_ready(self) -> None:
        w3 = Web3(Web3.HTTPProvider(self.url, request_kwargs={"timeout": 2}))
        deadline = time.monotonic() + READY_TIMEOUT_S
        while time.monotonic() < deadline:
            assert self.process is not None
            if (code := self.process.poll()) is not None:
                self.stop()
                raise NodeUnavailable(
                    f"anvil exited at start (code {code}); see {self.log_file}: {self.log_tail()}"
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
        if process is None:
            return
        if process.poll() is not None:
            self._forget_pid_file(process.pid)
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        self._forget_pid_file(process.pid)

    def _forget_pid_file(self, pid: int) -> None:
        record = _read_pid_file(self.pid_file)
        if record is not None and record[0] == pid:
            self.pid_file.unlink(missing_ok=True)

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
    """A connection to a managed anvil node: one this process started (and stops on close), or, with
    ``shared``, one another program started on the same port (left running on close)."""

    kind = "anvil"

    def __init__(self, node: AnvilProcess, shared: bool = False) -> None:
        self.node = node
        self.shared = shared
        self.clock_file = node.folder / "clock.json"
        w3 = Web3(Web3.HTTPProvider(node.url, request_kwargs={"timeout": 30}))
        super().__init__(w3)
        if not shared:  # a shared node's clock is live, and its starter keeps it across restarts
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
        if self.shared:
            return
        durable.atomic_write_json(self.clock_file, {"offset": int(ts) - int(time.time())}, indent=None)

    @classmethod
    def start(cls, settings: Settings, port: int | None = None) -> AnvilChain:
        """Start this data dir's anvil, or share the one already serving on the port (see the module)."""
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
        from chain.deployments import DeploymentRegistry  # chain.deployments builds on the chain client

        shared = node.start_or_share(DeploymentRegistry.open(settings).genesis_of(ANVIL_CHAIN_ID))
        try:
            return cls(node, shared=shared)
        except Exception:
            node.stop()
            raise

    @property
    def endpoint(self) -> str:
        return self.node.url

    @property
    def description(self) -> str:
        shared = " (shared: another program started it)" if self.shared else ""
        return f"anvil at {self.node.url}{shared}, chain id {self.chain_id}"

    def accounts(self) -> list[str]:
        return [str(address) for address in self._call(lambda: self.w3.eth.accounts)[: self.node.accounts]]

    def close(self) -> None:
        if not self.closed and not self.shared:  # only the program that started the node stops it
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
