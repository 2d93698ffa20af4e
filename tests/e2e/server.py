"""Start and stop a real ``streamlit run dashboard.py`` for the browser tests.

Modelled on a subprocess node provider: pick a free port, start the process with
its output in a log file, poll the health endpoint until it answers, and stop it
(SIGTERM, then SIGKILL) however the test ends. The log file is the first thing to
read when a browser test fails, so failures quote its tail.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def log_tail(path: Path, lines: int = 40) -> str:
    if not path.exists():
        return "(no log)"
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


class StreamlitServer:
    """One dashboard process with its own data directory and log file."""

    def __init__(
        self,
        data_dir: Path,
        log_path: Path,
        env: dict[str, str] | None = None,
        script: str = "dashboard.py",
        theme: str | None = "light",
    ) -> None:
        """``theme=None`` leaves the theme to the viewer's preference, as a user's server does."""
        self.script = script
        self.theme = theme
        self.data_dir = data_dir
        self.log_path = log_path
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._extra_env = env or {}
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 90.0) -> StreamlitServer:
        env = {**os.environ, "HYPERBOUNTY_DATA_DIR": str(self.data_dir), **self._extra_env}
        command = [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            self.script,
            "--server.address",
            "127.0.0.1",
            "--server.port",
            str(self.port),
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
            "--server.fileWatcherType",
            "none",
            "--client.toolbarMode",
            "minimal",
        ]
        if self.theme:
            command += ["--theme.base", self.theme]
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("wb")
        self._process = subprocess.Popen(
            command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        self._wait_healthy(timeout)
        return self

    def _wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                raise RuntimeError(
                    f"streamlit exited with code {self._process.returncode}:\n{log_tail(self.log_path)}"
                )
            try:
                with urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.25)
        self.stop()
        raise RuntimeError(f"streamlit did not answer within {timeout:.0f} s:\n{log_tail(self.log_path)}")

    def stop(self) -> None:
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        # Its own session: the signal reaches streamlit and any worker it spawned.
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=15)

    def __enter__(self) -> StreamlitServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
