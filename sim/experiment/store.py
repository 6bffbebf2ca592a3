"""The embedded on-disk store: one folder per experiment, one verified file per finished run.

Layout::

    DIR/spec.json           what the experiment is (checked on --resume)
    DIR/runs/<job id>.json  each finished run, written atomically (temp file + rename), with its checksum
                            and the job it answers (see :mod:`sim.experiment.records`)
    DIR/.rejected/          run files that failed their check on resume, kept for inspection
    DIR/.lock               held by the one process writing here (see :mod:`sim.experiment.lock`)

A killed experiment leaves only complete run files behind (a half-written temp
file is never read back). On resume every run file is checked: one that is
truncated, edited, or holds another job's record is moved into ``.rejected/``,
named on stderr, and its job runs again, so the results equal an
uninterrupted run's.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any, TextIO

from sim.errors import UserError
from sim.experiment.jobs import Job
from sim.experiment.lock import FolderLock
from sim.experiment.records import RecordError, decode, encode, job_key, spec_hash

REJECTED = ".rejected"


class Store:
    """Finished runs of one experiment, on disk. Use as a context manager so the folder lock is released."""

    def __init__(self, folder: Path, stream: TextIO | None = None) -> None:
        self.folder = Path(folder)
        self.runs = self.folder / "runs"
        self.stream = stream
        self.spec_hash: str | None = None
        self.lock = FolderLock(self.folder)

    def open(self, spec: dict[str, Any], resume: bool) -> None:
        """Lock the folder, then create it, or check that it holds this same experiment.

        Raises:
            FolderBusy: another process is writing to the folder.
            UserError: the folder holds another experiment, or finished runs without ``resume``.
        """
        spec_path = self.folder / "spec.json"
        if self.folder.exists() and not self.folder.is_dir():
            raise UserError(f"--out {self.folder} is a file, not a folder; choose another --out.")
        self.lock.acquire()
        try:
            self._check_spec(spec_path, spec, resume)
        except BaseException:
            self.lock.release()
            raise
        self.spec_hash = spec_hash(_jsonable(spec))
        self.runs.mkdir(parents=True, exist_ok=True)
        _atomic_write(spec_path, json.dumps(_jsonable(spec), indent=2, sort_keys=True))

    def _check_spec(self, spec_path: Path, spec: dict[str, Any], resume: bool) -> None:
        if not spec_path.exists():
            return
        if not resume and self.done():
            raise UserError(
                f"{self.folder} already holds an experiment with {len(self.done())} finished runs. "
                "Add --resume to continue it, or choose another --out.")
        try:
            old = json.loads(spec_path.read_text())
        except (ValueError, UnicodeDecodeError):
            # Every run record carries the spec's hash, so runs of another experiment are still refused.
            self._reject(spec_path, "not valid JSON; replaced by this experiment's spec")
            return
        new = _jsonable(spec)
        if resume and old != new:
            changed = sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))
            raise UserError(
                f"{self.folder} holds a different experiment (it differs in: {', '.join(changed)}); "
                "--resume continues only the same experiment. Choose another --out, or repeat the "
                "original command with --resume.")

    def close(self) -> None:
        """Release the folder lock."""
        self.lock.release()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def done(self) -> set[str]:
        """Ids of the runs with a file in the store (not yet verified; see :meth:`load`)."""
        if not self.runs.is_dir():
            return set()
        return {p.stem for p in self.runs.glob("*.json")}

    def load(self, jobs: list[Job]) -> dict[str, dict[str, Any]]:
        """The verified records of these jobs that the store holds, by job id.

        A file that fails its check is moved into ``.rejected/`` and named on stderr; its job counts as not done.
        """
        have = self.done()
        records = {}
        for job in jobs:
            if job.id not in have:
                continue
            path = self.runs / f"{job.id}.json"
            try:
                records[job.id] = decode(path.read_bytes(), self._key(job))
            except RecordError as e:
                self._reject(path, f"{e}; it will run again")
        return records

    def put(self, record: dict[str, Any], job: Job | None = None) -> None:
        """Write one finished run atomically, stamped with its checksum and the job it answers."""
        key = self._key(job) if job is not None else {
            "spec": self._spec(), **{k: record.get(k) for k in ("id", "label", "point", "replication", "seed")}}
        _atomic_write(self.runs / f"{record['id']}.json", encode(record, key))

    def _key(self, job: Job) -> dict[str, Any]:
        return job_key(job, self._spec())

    def _spec(self) -> str:
        if self.spec_hash is None:
            raise RuntimeError("Store.open() must be called before runs are read or written")
        return self.spec_hash

    def _reject(self, path: Path, why: str) -> None:
        """Move a bad file into ``.rejected/`` (never overwriting an earlier one) and say so in one line."""
        dest_dir = self.folder / REJECTED
        dest_dir.mkdir(exist_ok=True)
        dest = dest_dir / path.name
        n = 1
        while dest.exists():
            dest = dest_dir / f"{path.stem}.{n}{path.suffix}"
            n += 1
        os.replace(path, dest)
        print(f"salesim: rejected {path}: {why} (moved to {dest})",
              file=self.stream or sys.stderr, flush=True)


def _jsonable(obj: Any) -> Any:
    return json.loads(json.dumps(obj, sort_keys=True, default=str))


def _atomic_write(path: Path, text: str) -> None:
    """Write to a temp file in the same folder, flush it to disk, then rename over the target."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=".part")
    try:
        with os.fdopen(fd, "w") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
