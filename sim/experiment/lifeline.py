"""Worker side of clean stops: a pool worker ignores Ctrl-C and never outlives the process that started it.

Ctrl-C in a terminal reaches every process of the group; workers ignore it so
the parent alone decides (it keeps finished runs and terminates the workers).
If the parent dies without cleaning up (SIGKILL, a crash), each worker notices
and exits: on Linux the kernel sends it SIGKILL when its parent process ends
(``prctl(PR_SET_PDEATHSIG)``), and on every system a daemon thread polls
whether its parent, and the experiment's main process, are still alive.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
import time

POLL_S = 0.5  # how often a worker checks that its parents are alive
PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def worker_init(main_pid: int) -> None:
    """Initializer of every pool worker: ignore SIGINT, die with the parent (``main_pid`` started the pool)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()
    watch_parents(main_pid)


def watch_parents(main_pid: int, interval: float = POLL_S) -> threading.Thread:
    """Start a daemon thread that ends this process once its parent or ``main_pid`` has gone.

    The parent is recorded now: a worker whose parent dies is re-parented (``os.getppid()`` changes).
    ``main_pid`` may be the parent itself or, with a fork server in between, its parent.
    """
    parent = os.getppid()

    def watch() -> None:
        while True:
            if os.getppid() != parent or not alive(main_pid):
                os._exit(1)
            time.sleep(interval)

    thread = threading.Thread(target=watch, name="salesim-lifeline", daemon=True)
    thread.start()
    return thread


def alive(pid: int) -> bool:
    """Whether process ``pid`` is running (a zombie, dead but not yet reaped, counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as f:
            stat = f.read()
    except FileNotFoundError:
        return False
    except OSError:  # no /proc: ask the kernel whether the pid exists
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
        except PermissionError:
            return True
        return True
    state = stat[stat.rfind(b")") + 2:][:1]  # the command name may contain spaces and parentheses
    return state not in (b"Z", b"X")


def _die_with_parent() -> None:
    """On Linux, have the kernel SIGKILL this process when its parent ends."""
    if not sys.platform.startswith("linux"):
        return
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return


def dask_worker_init(main_pid: int) -> None:
    """Run on each worker of a LocalCluster started by ``main_pid``: ignore SIGINT, exit when it dies."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
    _die_with_parent()
    watch_parents(main_pid)
