"""Helpers for tests that run batch commands as real subprocesses and signal them."""

from __future__ import annotations

import contextlib
import os
import shlex
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd

SMALL = {"n_accounts": 300, "n_reps": 3, "n_managers": 1, "burn_in_weeks": 13}
SMALL_SET = [a for k, v in SMALL.items() for a in ("--set", f"{k}={v}")]
# Long enough (LONG_RUNS runs of ~0.5 s on 2 workers) to be interrupted mid-run, short enough to resume in seconds.
LONG_COMPARE = ["compare", "baseline", "banner_mandate", "--replications", "20", "--weeks", "40", "--quiet",
                *SMALL_SET]
LONG_RUNS = 40  # 2 scenarios x 20 replications
LIVENESS_S = 20  # timeout guard for a process that should already be ending (not a speed assertion)


def start(args: list[str], err: Path) -> subprocess.Popen:
    """Start ``salesim ARGS`` in its own process group, stderr into ``err`` (a file, so no pipe is held open)."""
    with open(err, "w") as f:
        return subprocess.Popen([sys.executable, "-m", "sim.cli", *args], stdout=subprocess.DEVNULL, stderr=f,
                                start_new_session=True)


def run(args: list[str], timeout: float = 300) -> subprocess.CompletedProcess:
    """Run ``salesim ARGS`` to the end."""
    return subprocess.run([sys.executable, "-m", "sim.cli", *args], capture_output=True, text=True, timeout=timeout)


def wait_for_runs(out: Path, n: int, proc: subprocess.Popen, timeout: float = 120) -> int:
    """Wait until ``out/runs`` holds at least ``n`` finished run files; return how many it holds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        have = count_runs(out)
        if have >= n:
            return have
        if proc.poll() is not None:
            raise AssertionError(f"the experiment ended (exit {proc.returncode}) before {n} runs finished")
        time.sleep(0.02)
    raise AssertionError(f"fewer than {n} runs finished in {timeout} s")


def count_runs(out: Path) -> int:
    runs = out / "runs"
    return len(list(runs.glob("*.json"))) if runs.is_dir() else 0


def processes() -> dict[int, tuple[int, int]]:
    """Every live process: pid -> (parent pid, process group), read from /proc (zombies left out)."""
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_bytes()
        except OSError:
            continue
        fields = stat[stat.rfind(b")") + 2:].split()
        if fields[0] in (b"Z", b"X"):
            continue
        table[int(entry.name)] = (int(fields[1]), int(fields[2]))
    return table


def group(pgid: int) -> set[int]:
    """Live processes of a process group."""
    return {pid for pid, (_, g) in processes().items() if g == pgid}


def workers_of(main_pid: int) -> set[int]:
    """The pool's worker processes: descendants of ``main_pid`` that are not its direct children.

    (The direct children are the fork server and the resource tracker; workers are forked by the fork server.)
    """
    table = processes()
    kids = {p for p, (pp, _) in table.items() if pp == main_pid}
    return {p for p, (pp, _) in table.items() if pp in kids}


def wait_gone(pids: set[int], timeout: float) -> set[int]:
    """Wait until none of ``pids`` is alive; return those still alive at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        alive = pids & set(processes())
        if not alive or time.monotonic() > deadline:
            return alive
        time.sleep(0.05)


def resume_line(err: str) -> list[str]:
    """The resume command named on stderr, as arguments for ``python -m sim.cli``."""
    lines = [ln for ln in err.splitlines() if "resume with: " in ln.lower()]
    assert len(lines) == 1, err
    cmd = shlex.split(lines[0].split("with: ", 1)[1])
    assert cmd[0] == "salesim" and "--resume" in cmd, cmd
    return cmd[1:]


def runs_table(out: Path) -> pd.DataFrame:
    """The experiment's runs, in a fixed order."""
    df = pd.read_parquet(out / "runs.parquet")
    return df.sort_values(["scenario", "replication"]).reset_index(drop=True)


def kill_group(proc: subprocess.Popen) -> None:
    """Clean-up after a test: SIGKILL the process group that ``start`` made, if anything is left."""
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, 9)
    proc.wait(timeout=LIVENESS_S)
