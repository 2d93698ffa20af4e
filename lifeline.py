"""Child processes that die with this one: the Linux parent-death signal, set in the child.

Why: an app killed with SIGKILL (the OOM killer, ``kill -9``) runs no atexit hook and no signal
handler, so without this its anvil node keeps the port (the next start failed "port already in use")
and its training workers (~530 MB each) go on training for minutes. ``prctl(PR_SET_PDEATHSIG,
SIGKILL)`` asks the kernel to kill the child when its parent goes, however it goes.

Two subtleties:

* The kernel's "parent" is the *thread* that started the child, not the process: a child started
  from a short-lived thread (every Streamlit script run is one) would be killed when that thread
  ends. A child that must outlive the thread starting it is started through
  :func:`in_lasting_thread`: on the main thread, or on one thread that lives as long as the process.
* The parent may die between the start of the child and the ``prctl`` call; the child then checks
  that its parent is still the one that started it, and exits if not.

Elsewhere than Linux these are no-ops (chain/anvil.py's PID file is the fallback there).
Standard library only, so chain/, ml/ and actions/ can all use it.
"""

from __future__ import annotations

import ctypes
import multiprocessing
import os
import queue
import signal
import sys
import threading
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

_PR_SET_PDEATHSIG = 1
_launcher: queue.SimpleQueue[Callable[[], None]] | None = None
_launcher_lock = threading.Lock()


def _prctl() -> Any | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


def die_with_parent(parent_pid: int | None = None) -> None:
    """Call first thing in a child process: the kernel kills it (SIGKILL) when its parent dies.

    ``parent_pid``: the process that started this one (None: the multiprocessing parent, if any); if
    it is already gone this process exits at once.
    """
    prctl = _prctl()
    if prctl is None:
        return
    prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    if parent_pid is None:
        parent = multiprocessing.parent_process()
        parent_pid = parent.pid if parent is not None else None
    if parent_pid is not None and os.getppid() != parent_pid:
        os._exit(1)  # the parent died before the signal was set: nobody is left to stop this child


def preexec_die_with_parent() -> Callable[[], None] | None:
    """A ``preexec_fn`` for ``subprocess.Popen`` that gives the child the parent-death signal.

    Everything is looked up here, in the parent; the child (between fork and exec) only calls
    ``prctl`` and ``getppid``. None where there is no ``prctl``.
    """
    prctl = _prctl()
    if prctl is None:
        return None
    parent_pid = os.getpid()

    def in_child() -> None:
        prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
        if os.getppid() != parent_pid:
            os._exit(1)

    return in_child


def in_lasting_thread(start: Callable[[], T]) -> T:
    """``start()`` on a thread that lives as long as this process; its result or exception.

    For starting a child that carries the parent-death signal and must outlive the calling thread.
    """
    if threading.current_thread() is threading.main_thread():
        return start()
    done = threading.Event()
    outcome: dict[str, Any] = {}

    def job() -> None:
        try:
            outcome["value"] = start()
        except BaseException as exc:  # handed to the caller below
            outcome["error"] = exc
        finally:
            done.set()

    _lasting_queue().put(job)
    done.wait()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def _lasting_queue() -> queue.SimpleQueue[Callable[[], None]]:
    """The queue of the one launcher thread (a daemon: it never holds up the interpreter's exit, and
    outlives the atexit hooks that stop children cleanly)."""
    global _launcher
    with _launcher_lock:
        if _launcher is None:
            jobs: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()

            def serve() -> None:
                while True:
                    jobs.get()()

            threading.Thread(target=serve, name="lifeline-launcher", daemon=True).start()
            _launcher = jobs
    return _launcher
