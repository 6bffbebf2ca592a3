"""Clean stops of a batch command: Ctrl-C, SIGTERM, or lost workers keep finished runs and say how to resume.

Wrap a command in ``with CleanStop(out):``. While inside:

- the first SIGINT or SIGTERM raises :class:`Interrupted` in the main thread; the
  runner cancels the runs in flight and terminates the pool's workers, the
  finished runs stay in the store, one line on stderr gives the exact command
  that resumes, and the process exits with 130 (SIGINT) or 143 (SIGTERM);
- should that clean-up take longer than :data:`GRACE_S` seconds, or a second
  signal arrive, the workers are killed and the process exits at once;
- :class:`WorkersLost` (a Dask scheduler gone, a pool worker killed) ends the
  command with one paragraph naming the problem and the resume command, exit 1.

Executors register with :func:`watch` so that the hard stop can kill their workers.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shlex
import signal
import sys
import threading
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

GRACE_S = 4.0  # after the first signal, the longest a clean stop may take before the process exits anyway
EXIT_CODES: dict[int, int] = {signal.SIGINT: 130, signal.SIGTERM: 143}  # 128 + signal number, as shells report it
LOST_EXIT = 1


class Interrupted(KeyboardInterrupt):
    """A SIGINT or SIGTERM asked the command to stop."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


class WorkersLost(Exception):
    """The workers went away mid-run (a lost Dask scheduler, a killed pool worker); the message says which."""


class Killable(Protocol):
    def kill(self) -> None: ...


_executors: weakref.WeakSet[Any] = weakref.WeakSet()


def watch(executor: Killable) -> None:
    """Register an executor whose ``kill()`` must run if the process has to stop at once."""
    _executors.add(executor)


def kill_workers() -> None:
    """Kill the workers of every registered executor (no waiting, no locks; safe in a signal handler)."""
    for ex in list(_executors):
        with contextlib.suppress(Exception):  # best effort: the process is about to exit
            ex.kill()


def resume_command(argv: list[str], out: Path) -> str:
    """The command that continues this experiment: the same arguments, with ``--resume`` and ``--out``."""
    args = list(argv)
    if "--resume" not in args:
        args.append("--resume")
    if not any(a == "--out" or a.startswith("--out=") for a in args):
        args += ["--out", str(out)]
    return "salesim " + " ".join(shlex.quote(a) for a in args)


def _quiet_about_the_stop(hook: Any) -> Any:
    """An unraisable-exception hook that drops the stop's own :class:`Interrupted` (raised inside a finalizer
    that cannot pass it on) and hands every other exception to ``hook``."""

    def quiet(unraisable: Any) -> None:
        if not isinstance(unraisable.exc_value, Interrupted):
            hook(unraisable)

    return quiet


class CleanStop:
    """Context manager that turns SIGINT/SIGTERM and lost workers into a clean, resumable exit.

    Meant for the command line: after a signal it ends the process (``SystemExit``, and
    ``os._exit`` if exiting takes longer than :data:`GRACE_S`), so do not use it inside a
    long-lived host such as a notebook kernel.

    Args:
        out: the experiment folder (finished runs are counted there and kept).
        argv: the command's arguments, for the resume command (default: ``sys.argv[1:]``).
        kept: says what is kept in ``out`` (default: the finished runs of a batch store).
    """

    def __init__(self, out: Path, argv: list[str] | None = None, kept: Callable[[], str] | None = None) -> None:
        self.out = Path(out)
        self.argv = list(sys.argv[1:] if argv is None else argv)
        self.kept = kept
        self.signum: int | None = None
        self.said = threading.Lock()
        self.previous: dict[int, Any] = {}

    def __enter__(self) -> CleanStop:
        if threading.current_thread() is threading.main_thread():
            for s in EXIT_CODES:
                self.previous[s] = signal.signal(s, self._handle)
        return self

    def __exit__(self, et: type[BaseException] | None, ev: BaseException | None, tb: Any) -> None:
        if self.signum is None and self.previous:
            for s, h in self.previous.items():  # after a signal ours stay: a second one must still exit at once
                signal.signal(s, h)
        if ev is not None and self.signum is not None:  # whatever a library turned the interrupt into
            kill_workers()
            self._say(self._interrupted_line())
            self._ignore_signals()  # stopped: let the exit finish (the deadline still bounds it)
            raise SystemExit(EXIT_CODES[self.signum]) from None
        if isinstance(ev, WorkersLost):
            kill_workers()
            self._say(f"salesim: error: {ev} The {self._kept()} are kept; once the workers are back, "
                      f"resume with: {resume_command(self.argv, self.out)}")
            raise SystemExit(LOST_EXIT) from None

    def _ignore_signals(self) -> None:
        if self.previous:
            for s in EXIT_CODES:
                signal.signal(s, signal.SIG_IGN)

    def _handle(self, signum: int, frame: Any) -> None:
        if self.signum is not None:
            kill_workers()
            self._say(self._interrupted_line(f"a second {signal.Signals(signum).name}, so stopping at once"))
            os._exit(EXIT_CODES[self.signum])
        self.signum = signum
        # From here on a database pool's failed rollback (pyABC's SQLAlchemy, interrupted mid-call) is this
        # stop's echo, not news: it would print a traceback under the one line the stop promises.
        logging.getLogger("sqlalchemy.pool").setLevel(logging.CRITICAL)
        sys.unraisablehook = _quiet_about_the_stop(sys.unraisablehook)
        threading.Thread(target=self._deadline, name="salesim-stop-deadline", daemon=True).start()
        raise Interrupted(signum)

    def _deadline(self) -> None:
        """Exit anyway if the clean stop has not finished within the grace period."""
        threading.Event().wait(GRACE_S)
        kill_workers()
        self._say(self._interrupted_line())
        os._exit(EXIT_CODES[self.signum or signal.SIGINT])

    def _interrupted_line(self, how: str = "") -> str:
        name = signal.Signals(self.signum or signal.SIGINT).name
        return (f"salesim: interrupted by {how or name}; the {self._kept()} are kept. "
                f"Resume with: {resume_command(self.argv, self.out)}")

    def _kept(self) -> str:
        if self.kept is not None:
            return self.kept()
        runs = self.out / "runs"
        n = sum(1 for _ in runs.glob("*.json")) if runs.is_dir() else 0
        return f"{n} finished run{'s' if n != 1 else ''} in {self.out}"

    def _say(self, line: str) -> None:
        """Write one line to stderr, once (the clean path and the deadline thread may race)."""
        if not self.said.acquire(blocking=False):
            return
        try:
            os.write(sys.stderr.fileno(), (line + "\n").encode())
        except (OSError, ValueError, AttributeError):
            print(line, file=sys.stderr, flush=True)
