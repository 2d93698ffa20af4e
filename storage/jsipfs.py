"""Start and stop a local js-ipfs daemon (npm ``ipfs@0.66.1``) that serves the kubo HTTP RPC API.

No kubo binary installs on this project's machines, but js-ipfs from npm runs a
real IPFS node offline and adds files with the same defaults (and so the same
CIDs) as kubo. Tests, the dashboard's end-to-end test and demos use it to talk
to a real node through :class:`storage.kubo.KuboStore`.

Two fixes make it start here: Node 20 lacks ``Promise.withResolvers``, which its
dependencies call (a polyfill is loaded with ``NODE_OPTIONS=--require``), and it
must not dial the public network (no swarm listeners, no bootstrap peers, no
MDNS, no preload nodes). Modelled on ape's subprocess provider: start, log to a
file, poll until the API answers, stop on exit.

    with JsIpfsDaemon(tmp_dir / "ipfs-repo") as daemon:
        store = KuboStore(daemon.api_multiaddr)
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import json
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path
from types import TracebackType
from typing import IO

import requests

import durable
from settings import REPO_ROOT, get_settings
from storage.errors import DaemonUnavailable

POLYFILL = REPO_ROOT / "tools" / "jsipfs" / "polyfill.cjs"
HOST = "127.0.0.1"


def jsipfs_cli(node_tools_dir: Path | None = None) -> Path:
    """Where npm puts the js-ipfs command line (it may not be installed)."""
    base = Path(node_tools_dir) if node_tools_dir else get_settings().node_tools_dir
    return base / "node_modules" / "ipfs" / "src" / "cli.js"


def jsipfs_available(node_tools_dir: Path | None = None) -> bool:
    """True when node and the npm ``ipfs`` package are installed (``bash scripts/setup.sh --dev``)."""
    return shutil.which("node") is not None and jsipfs_cli(node_tools_dir).is_file()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _die_with_parent() -> None:
    """In the child before exec: Linux sends it SIGTERM if we die without stopping it (e.g. SIGKILL)."""
    # not Linux (no libc.so.6 or no prctl): stop() and atexit still cover normal exits
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class JsIpfsDaemon:
    """One js-ipfs daemon on 127.0.0.1 with its own repository folder; a context manager."""

    def __init__(
        self,
        repo: Path,
        *,
        node_tools_dir: Path | None = None,
        api_port: int | None = None,
        gateway_port: int | None = None,
        log_path: Path | None = None,
    ) -> None:
        self.repo = Path(repo)
        self.cli = jsipfs_cli(node_tools_dir)
        self._ports_chosen_here = api_port is None and gateway_port is None
        self.api_port = api_port or free_port()
        self.gateway_port = gateway_port or free_port()
        self.log_path = Path(log_path) if log_path else self.repo.parent / f"{self.repo.name}.log"
        self._process: subprocess.Popen[bytes] | None = None
        self._peer_id: str | None = None
        self._log: IO[bytes] | None = None
        self._log_start = 0

    @property
    def api_multiaddr(self) -> str:
        return f"/ip4/{HOST}/tcp/{self.api_port}/http"

    @property
    def api_url(self) -> str:
        return f"http://{HOST}:{self.api_port}"

    @property
    def gateway_url(self) -> str:
        return f"http://{HOST}:{self.gateway_port}"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self, timeout: float = 90.0) -> JsIpfsDaemon:
        """Initialise the repository if needed, start the daemon and wait until its API answers."""
        if self.running:
            return self
        if not jsipfs_available(self.cli.parents[3]):
            raise DaemonUnavailable(
                f"js-ipfs is not installed (looked for {self.cli}). "
                "Run `bash scripts/setup.sh --dev` to install the Node tools."
            )
        self.repo.parent.mkdir(parents=True, exist_ok=True)
        if not (self.repo / "config").is_file():
            self._run_cli(["init", "--empty-repo", "--algorithm", "ed25519"], timeout=timeout)
        for attempt in (1, 2):
            self._launch()
            try:
                self._wait_for_api(timeout)
                return self
            except DaemonUnavailable:
                self.stop()
                # Another program may take a free port between our check and the daemon's bind.
                raced = "EADDRINUSE" in self._log_tail(start=self._log_start)
                if attempt == 2 or not (raced and self._ports_chosen_here):
                    raise
                self.api_port, self.gateway_port = free_port(), free_port()
            except BaseException:
                self.stop()
                raise
        return self

    def _launch(self) -> None:
        self._write_local_only_config()
        self._log_start = self.log_path.stat().st_size if self.log_path.exists() else 0
        log = open(self.log_path, "ab")  # noqa: SIM115 - handed to the child, closed in stop()
        self._log = log
        self._process = subprocess.Popen(
            ["node", str(self.cli), "daemon", "--enable-preload=false"],
            env=self._env(),
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # a Ctrl-C in the terminal reaches us, and we stop it cleanly
            preexec_fn=_die_with_parent,
        )
        atexit.register(self.stop)

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM (the daemon closes its repository cleanly), then SIGKILL if it hangs."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(5)
        log, self._log = self._log, None
        if log is not None:
            log.close()
        atexit.unregister(self.stop)

    def __enter__(self) -> JsIpfsDaemon:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # --- internals ---------------------------------------------------------------

    def _env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["IPFS_PATH"] = str(self.repo)
        env["NODE_OPTIONS"] = f"{env.get('NODE_OPTIONS', '')} --require {POLYFILL}".strip()
        env.pop("IPFS_API", None)
        return env

    def _run_cli(self, args: list[str], timeout: float) -> None:
        result = subprocess.run(
            ["node", str(self.cli), *args],
            env=self._env(),
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        if result.returncode != 0:
            raise DaemonUnavailable(
                f"`jsipfs {' '.join(args)}` failed for the repository {self.repo}: "
                f"{(result.stderr or result.stdout).strip()[-1000:]}"
            )

    def _write_local_only_config(self) -> None:
        """Listen on 127.0.0.1 only and never dial out; rewritten on every start (ports change)."""
        path = self.repo / "config"
        config = json.loads(path.read_text())
        config.setdefault("Addresses", {}).update(
            {
                "Swarm": [],
                "Announce": [],
                "API": f"/ip4/{HOST}/tcp/{self.api_port}",
                "Gateway": f"/ip4/{HOST}/tcp/{self.gateway_port}",
                "RPC": "",  # no gRPC-over-websocket server
                "Delegates": [],
            }
        )
        config["Bootstrap"] = []
        self._peer_id = config.get("Identity", {}).get("PeerID")
        config["Discovery"] = {"MDNS": {"Enabled": False}, "webRTCStar": {"Enabled": False}}
        durable.atomic_write_json(path, config, indent=2, sort_keys=False)

    def _wait_for_api(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process is None or self._process.poll() is not None:
                raise DaemonUnavailable(
                    f"The js-ipfs daemon exited while starting. Its log ({self.log_path}) ends with:\n"
                    f"{self._log_tail()}"
                )
            this_run = self._log_tail(start=self._log_start)
            if "EADDRINUSE" in this_run:  # js-ipfs reports a taken port, then hangs instead of exiting
                raise DaemonUnavailable(
                    f"The js-ipfs daemon could not listen on 127.0.0.1 (port {self.api_port} or "
                    f"{self.gateway_port} is taken):\n{this_run}"
                )
            try:
                answer = requests.post(f"{self.api_url}/api/v0/id", timeout=2)
                # The port must be answered by this daemon, not another node that holds it.
                if answer.ok and answer.json().get("ID") == self._peer_id:
                    return
            except (requests.RequestException, ValueError):
                pass
            time.sleep(0.2)
        raise DaemonUnavailable(
            f"The js-ipfs daemon did not answer on {self.api_url} within {timeout:.0f} s. "
            f"Its log ({self.log_path}) ends with:\n{self._log_tail()}"
        )

    def _log_tail(self, chars: int = 2000, start: int = 0) -> str:
        try:
            with open(self.log_path, "rb") as log:
                log.seek(start)
                return log.read().decode(errors="replace")[-chars:]
        except OSError:
            return "(no log)"
