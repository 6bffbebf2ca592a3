"""Interrupts end a batch cleanly: real subprocesses, real signals, a real Dask scheduler killed mid-run.

Each interrupted experiment is resumed with the command it printed, and the
results must equal an uninterrupted run's exactly.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import batch_helpers as bh
import pandas as pd
import pytest

from sim.experiment.interrupts import resume_command
from sim.experiment.lifeline import alive
from sim.experiment.records import FORMAT

POOL = [*bh.LONG_COMPARE, "--workers", "2"]


@pytest.fixture(scope="module")
def reference(tmp_path_factory) -> pd.DataFrame:
    """The uninterrupted results of the experiment the tests interrupt."""
    out = tmp_path_factory.mktemp("reference") / "clean"
    res = bh.run([*POOL, "--out", str(out)])
    assert res.returncode == 0, res.stderr
    return bh.runs_table(out)


def _interrupt(tmp_path: Path, send) -> tuple[subprocess.Popen, str, Path, set[int]]:
    """Start the experiment, wait for a first finished run, call ``send(proc)``; return once it has exited."""
    out, err = tmp_path / "exp", tmp_path / "stderr.txt"
    proc = bh.start([*POOL, "--out", str(out)], err)
    try:
        bh.wait_for_runs(out, 1, proc)
        workers = bh.workers_of(proc.pid)
        assert workers, "the pool's workers should be running"
        send(proc)
        proc.wait(timeout=bh.LIVENESS_S)
    finally:
        if proc.poll() is None:
            bh.kill_group(proc)
    return proc, err.read_text(), out, workers


def _resume_matches(err: str, out: Path, reference: pd.DataFrame) -> None:
    args = bh.resume_line(err)
    assert args[args.index("--out") + 1] == str(out)
    res = bh.run(args)
    assert res.returncode == 0, res.stderr
    pd.testing.assert_frame_equal(bh.runs_table(out), reference, check_exact=True)


def test_the_printed_resume_command_adds_resume_and_out_once_and_quotes_arguments(tmp_path):
    """The command an interrupted batch prints continues the same experiment in the same folder, shell-safe."""
    out = tmp_path / "a b"
    cmd = resume_command(["compare", "baseline", "--set", "banner_target=0.9 x"], out)
    assert cmd == f"salesim compare baseline --set 'banner_target=0.9 x' --resume --out '{out}'"
    assert bh.resume_line(f"interrupted. Resume with: {cmd}") == [
        "compare", "baseline", "--set", "banner_target=0.9 x", "--resume", "--out", str(out)]
    again = ["compare", "baseline", "--resume", "--out", "x"]
    assert resume_command(again, out) == "salesim " + " ".join(again)  # nothing added twice


def test_a_worker_sees_a_dead_parent_as_gone_even_before_it_is_reaped():
    """The lifeline's test of its parents: a live process is alive; an exited, unreaped child (a zombie) is not."""
    assert alive(os.getpid())
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    try:
        for _ in range(200):
            if not alive(child.pid):
                break
            time.sleep(0.05)
        assert not alive(child.pid), "an exited child still counts as alive"
    finally:
        child.wait(timeout=bh.LIVENESS_S)


@pytest.mark.slow
def test_one_sigint_keeps_finished_runs_and_resumes_identically(tmp_path, reference):
    """Ctrl-C in a terminal signals the whole process group: exit 130, one line with the resume command."""
    proc, err, out, workers = _interrupt(tmp_path, lambda p: os.killpg(p.pid, signal.SIGINT))
    assert proc.returncode == 130, err
    assert "interrupted by SIGINT" in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1, err
    assert not bh.wait_gone(workers, 5), "pool workers outlived the interrupted command"
    assert not (out / "runs.parquet").exists()
    kept = len(list((out / "runs").glob("*.json")))
    assert 0 < kept < bh.LONG_RUNS and f"the {kept} finished run{'s' if kept > 1 else ''} " in err
    _resume_matches(err, out, reference)


@pytest.mark.slow
def test_second_sigint_exits_at_once(tmp_path):
    def twice(p):
        os.killpg(p.pid, signal.SIGINT)
        time.sleep(0.05)
        os.killpg(p.pid, signal.SIGINT)

    proc, err, out, workers = _interrupt(tmp_path, twice)
    assert proc.returncode == 130, err
    assert "Resume with" in err and "Traceback" not in err
    assert not bh.wait_gone(workers, 5)
    kept = list((out / "runs").glob("*.json"))
    assert kept and all(json.loads(f.read_text())["format"] == FORMAT for f in kept), "a run file was cut short"


@pytest.mark.slow
def test_sigterm_exits_143_and_leaves_no_process_behind(tmp_path):
    """SIGTERM to the main process only (as a service manager sends it): the pool goes with it."""
    proc, err, out, workers = _interrupt(tmp_path, lambda p: os.kill(p.pid, signal.SIGTERM))
    assert proc.returncode == 143, err
    assert "interrupted by SIGTERM" in err and "--resume" in err and "Traceback" not in err
    assert not bh.wait_gone(workers, 5), "pool workers outlived SIGTERM"
    # The fork server and resource tracker follow on their own; nothing of the group may stay.
    assert not bh.wait_gone(bh.group(proc.pid), bh.LIVENESS_S)


@pytest.mark.slow
def test_workers_exit_when_the_parent_is_killed(tmp_path):
    """SIGKILL of the parent alone (no clean-up possible): its workers notice and exit."""
    proc, err, out, workers = _interrupt(tmp_path, lambda p: os.kill(p.pid, signal.SIGKILL))
    assert proc.returncode == -signal.SIGKILL
    assert not bh.wait_gone(workers, 5), "orphaned pool workers are still running 5 s after their parent died"
    assert not bh.wait_gone(bh.group(proc.pid), bh.LIVENESS_S)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _dask(*args: str, log: Path) -> subprocess.Popen:
    dask = Path(sys.executable).with_name("dask")
    with open(log, "w") as f:
        return subprocess.Popen([str(dask), *args], stdout=f, stderr=subprocess.STDOUT, start_new_session=True)


def _wait_for_scheduler(port: int, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, "the Dask scheduler did not start"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    raise AssertionError("the Dask scheduler did not listen within 60 s")


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("dask", path=str(Path(sys.executable).parent)) is None,
                    reason="needs the dask command-line tool (pip install 'salesim[dask]')")
def test_killed_dask_scheduler_gives_one_paragraph_and_resume_matches(tmp_path, reference):
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    sched = _dask("scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard",
                  log=tmp_path / "scheduler.log")
    workers = None
    out, err_path = tmp_path / "exp", tmp_path / "stderr.txt"
    try:
        _wait_for_scheduler(port, sched)
        workers = _dask("worker", address, "--nworkers", "2", "--nthreads", "1", "--no-dashboard",
                        log=tmp_path / "workers.log")
        proc = bh.start([*bh.LONG_COMPARE, "--scheduler", address, "--out", str(out)], err_path)
        try:
            bh.wait_for_runs(out, 1, proc)
            os.killpg(sched.pid, signal.SIGKILL)
            proc.wait(timeout=60)  # the client gives up reconnecting after its 10 s timeout
        finally:
            if proc.poll() is None:
                bh.kill_group(proc)
    finally:
        for p in (sched, workers):
            if p is not None and p.poll() is None:
                os.killpg(p.pid, signal.SIGKILL)
                p.wait(timeout=bh.LIVENESS_S)
    err = err_path.read_text()
    assert proc.returncode not in (0, 2), err
    assert "lost the Dask scheduler" in err and address in err, err
    assert "Traceback" not in err and "internal error" not in err, err
    assert len(err.strip().splitlines()) == 1, err
    args = bh.resume_line(err)
    # The scheduler is gone for good: resume on local processes; results do not depend on the executor.
    i = args.index("--scheduler")
    args[i:i + 2] = ["--workers", "2"]
    res = bh.run(args)
    assert res.returncode == 0, res.stderr
    pd.testing.assert_frame_equal(bh.runs_table(out), reference, check_exact=True)
