"""One writer per experiment folder: an OS file lock (``flock``) on ``DIR/.lock``.

The lock is taken when a store opens and released when it closes, or by the
operating system when the process ends in any way (even SIGKILL), so a stale
lock file never blocks anyone. The holder writes its pid into the file so a
refused writer can say who holds the folder. Within one process the lock is
re-entrant (several :class:`~sim.experiment.store.Store` objects on one folder
share it); it guards against other processes.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from pathlib import Path

from sim.errors import UserError

LOCK_NAME = ".lock"
_held: dict[str, list[int]] = {}  # real folder path -> [file descriptor, holders in this process]


class FolderBusy(UserError):
    """Another process is writing to this experiment folder."""


class FolderLock:
    """An exclusive, non-blocking lock on one folder (created if missing)."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.held = False

    def acquire(self) -> None:
        """Take the lock, or raise :class:`FolderBusy` at once naming the holder's pid."""
        if self.held:
            return
        self.folder.mkdir(parents=True, exist_ok=True)
        key = os.path.realpath(self.folder)
        if key in _held:
            _held[key][1] += 1
            self.held = True
            return
        fd = os.open(self.folder / LOCK_NAME, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = _holder_pid(fd)
            os.close(fd)
            who = f"pid {holder}" if holder else "pid unknown"
            raise FolderBusy(
                f"{self.folder} is in use: another salesim process ({who}) is writing to it. Wait for it to "
                "finish (or stop it), or choose another --out.") from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
        _held[key] = [fd, 1]
        self.held = True

    def release(self) -> None:
        """Give the lock back (the last holder in this process unlocks the file)."""
        if not self.held:
            return
        self.held = False
        key = os.path.realpath(self.folder)
        entry = _held.get(key)
        if entry is None:
            return
        entry[1] -= 1
        if entry[1] == 0:
            del _held[key]
            with contextlib.suppress(OSError):
                os.ftruncate(entry[0], 0)
                fcntl.flock(entry[0], fcntl.LOCK_UN)
            os.close(entry[0])

    def __enter__(self) -> FolderLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _holder_pid(fd: int) -> int | None:
    """The pid the holder wrote into the lock file (it writes right after locking; wait a moment for it)."""
    for _ in range(20):
        text = os.pread(fd, 32, 0).decode(errors="replace").strip()
        if text.isdigit():
            return int(text)
        time.sleep(0.01)
    return None
