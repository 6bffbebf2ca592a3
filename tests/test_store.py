"""The store verifies what it resumes from: damaged or misplaced run files are set aside and run again.

Also: one writer per experiment folder (an OS lock), refused at once with the holder's pid.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import time
from pathlib import Path

import batch_helpers as bh
import pandas as pd
import pytest

from sim.cli import main
from sim.experiment import Store, run_jobs
from sim.experiment.compare import comparison_jobs
from sim.experiment.executors import SerialExecutor
from sim.experiment.lock import FolderLock
from sim.experiment.records import RecordError, decode, encode, job_key
from sim.scenario import load_scenario

SMALL_ARGS = ["compare", "baseline", "banner_mandate", "--replications", "3", "--weeks", "20", "--workers", "1",
              "--quiet", *bh.SMALL_SET]


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> Path:
    """A finished small experiment, run once without interruption."""
    out = tmp_path_factory.mktemp("store") / "clean"
    assert main([*SMALL_ARGS, "--out", str(out)]) == 0
    return out


def _run_files(out: Path) -> list[Path]:
    return sorted((out / "runs").glob("*.json"))


def _truncate(files: list[Path]) -> list[Path]:
    text = files[0].read_text()
    files[0].write_text(text[: len(text) // 2])
    return [files[0]]


def _garbage(files: list[Path]) -> list[Path]:
    files[1].write_bytes(b"\x00\xffnot json at all\x9c" * 10)
    return [files[1]]


def _edited(files: list[Path]) -> list[Path]:
    obj = json.loads(files[2].read_text())
    obj["record"]["kpis"]["revenue"] = 1e15  # a plausible-looking edit; the checksum is left as it was
    files[2].write_text(json.dumps(obj))
    return [files[2]]


def _swapped(files: list[Path]) -> list[Path]:
    """Replication 1's intact file placed under replication 0's name (and vice versa)."""
    r0 = next(f for f in files if f.name.startswith("baseline-") and "-r0000-" in f.name)
    r1 = next(f for f in files if f.name.startswith("baseline-") and "-r0001-" in f.name)
    a, b = r0.read_bytes(), r1.read_bytes()
    r0.write_bytes(b)
    r1.write_bytes(a)
    return [r0, r1]


@pytest.mark.slow
@pytest.mark.parametrize("damage", [_truncate, _garbage, _edited, _swapped])
def test_resume_rejects_damaged_runs_and_reruns_them(tmp_path, clean, capsys, damage):
    out = tmp_path / "exp"
    shutil.copytree(clean, out)
    (out / "runs.parquet").unlink()
    bad = damage(_run_files(out))
    before = {f.name: f.read_bytes() for f in _run_files(out) if f not in bad}

    assert main([*SMALL_ARGS, "--out", str(out), "--resume"]) == 0
    err = capsys.readouterr().err
    rejected = [ln for ln in err.splitlines() if ln.startswith("salesim: rejected ")]
    assert len(rejected) == len(bad), err
    for f in bad:
        assert any(str(f) in ln for ln in rejected), (f, err)
        assert (out / ".rejected" / f.name).exists()
    assert "Traceback" not in err
    pd.testing.assert_frame_equal(bh.runs_table(out), bh.runs_table(clean), check_exact=True)
    # The good files were left alone; the bad ones were written again, identical to the clean run's.
    assert {f.name: f.read_bytes() for f in _run_files(out) if f.name in before} == before
    for f in bad:
        assert f.read_bytes() == (clean / "runs" / f.name).read_bytes()


@pytest.mark.slow
def test_only_rejected_runs_are_computed_again(tmp_path, counting_executor, capsys):
    jobs = comparison_jobs([load_scenario("baseline", bh.SMALL)], 4, 20, root_seed=3)
    with Store(tmp_path / "e") as store:
        store.open({"k": 1}, resume=False)
        first = run_jobs(jobs, store, SerialExecutor(), progress=False)
    files = _run_files(tmp_path / "e")
    _truncate(files)
    _edited(files)
    with Store(tmp_path / "e") as store:
        store.open({"k": 1}, resume=True)
        again = run_jobs(jobs, store, counting_executor, progress=False)
    assert counting_executor.ran == 2
    assert again == first
    assert capsys.readouterr().err.count("salesim: rejected ") == 2


def test_a_record_answers_only_its_own_job_and_experiment():
    jobs = comparison_jobs([load_scenario("baseline", bh.SMALL)], 2, 20, root_seed=3)
    rec = {"id": jobs[0].id, "label": jobs[0].label, "point": 0, "replication": 0, "seed": jobs[0].seed,
           "kpis": {"revenue": 1.5}}
    text = encode(rec, job_key(jobs[0], "spec-a"))
    assert decode(text, job_key(jobs[0], "spec-a")) == rec
    with pytest.raises(RecordError, match="another experiment"):
        decode(text, job_key(jobs[0], "spec-b"))
    with pytest.raises(RecordError, match="another job"):
        decode(text, job_key(jobs[1], "spec-a"))
    with pytest.raises(RecordError, match="checksum"):
        decode(text.replace("1.5", "1.6"), job_key(jobs[0], "spec-a"))
    with pytest.raises(RecordError, match="another job"):
        encode(rec, job_key(jobs[1], "spec-a"))


@pytest.mark.slow
def test_garbage_spec_is_refused_on_resume_and_nothing_is_touched(tmp_path, clean, capsys):
    # Which experiment the folder holds is unknown, so resuming is refused (exit 2) before any work,
    # and every file stays as it was for the user to inspect.
    out = tmp_path / "exp"
    shutil.copytree(clean, out)
    (out / "spec.json").write_text('{"kind": "comp')
    before = {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert main([*SMALL_ARGS, "--out", str(out), "--resume"]) == 2
    err = capsys.readouterr().err
    assert "spec.json" in err and "damaged" in err and "Traceback" not in err
    assert {p.relative_to(out): p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


@pytest.mark.slow
def test_a_second_writer_is_refused_at_once_naming_the_holder(tmp_path, capsys):
    out = tmp_path / "shared"
    first = bh.start([*bh.LONG_COMPARE, "--workers", "2", "--out", str(out)], tmp_path / "first.txt")
    try:
        deadline = time.monotonic() + 60
        while not ((out / ".lock").exists() and (out / ".lock").read_text().strip()):
            assert time.monotonic() < deadline and first.poll() is None, "the first writer did not start"
            time.sleep(0.02)
        # Another experiment into the same folder, and the same one with --resume: both refused, exit 2.
        for argv in ([*SMALL_ARGS, "--out", str(out)], [*bh.LONG_COMPARE, "--out", str(out), "--resume"]):
            assert main(argv) == 2
            err = capsys.readouterr().err
            assert str(out) in err and f"pid {first.pid}" in err and "Traceback" not in err, err
        assert first.poll() is None, "the first writer must be left running"
    finally:
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=bh.LIVENESS_S)
    # The OS released the lock with the killed process: the folder can be written again.
    with FolderLock(out):
        pass


def test_lock_is_shared_within_one_process(tmp_path):
    a, b = FolderLock(tmp_path / "x"), FolderLock(tmp_path / "x")
    with a, b:
        assert (tmp_path / "x" / ".lock").read_text().strip() == str(os.getpid())
