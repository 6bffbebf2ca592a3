"""The embedded on-disk store: one folder per experiment, one file per finished run.

Layout::

    DIR/spec.json          what the experiment is (checked on --resume)
    DIR/runs/<job id>.json each finished run, written atomically (temp file + rename)

A killed experiment leaves only complete run files behind (a half-written temp
file is never read back), so resuming computes exactly what is missing.
"""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path
from typing import Any

from sim.errors import UserError


class Store:
    """Finished runs of one experiment, on disk."""

    def __init__(self, folder: Path) -> None:
        self.folder = Path(folder)
        self.runs = self.folder / "runs"

    def open(self, spec: dict[str, Any], resume: bool) -> None:
        """Create the folder, or check that an existing one holds this same experiment."""
        spec_path = self.folder / "spec.json"
        if self.folder.exists() and not self.folder.is_dir():
            raise UserError(f"--out {self.folder} is a file, not a folder; choose another --out.")
        if spec_path.exists():
            old = json.loads(spec_path.read_text())
            if not resume and self.done():
                raise UserError(
                    f"{self.folder} already holds an experiment with {len(self.done())} finished runs. "
                    "Add --resume to continue it, or choose another --out.")
            if resume and old != _jsonable(spec):
                changed = sorted(k for k in set(old) | set(spec) if old.get(k) != _jsonable(spec).get(k))
                raise UserError(
                    f"{self.folder} holds a different experiment (it differs in: {', '.join(changed)}); "
                    "--resume continues only the same experiment. Choose another --out, or repeat the "
                    "original command with --resume.")
        self.runs.mkdir(parents=True, exist_ok=True)
        _atomic_write(spec_path, json.dumps(_jsonable(spec), indent=2, sort_keys=True))

    def done(self) -> set[str]:
        """Ids of the runs already finished."""
        if not self.runs.is_dir():
            return set()
        return {p.stem for p in self.runs.glob("*.json")}

    def put(self, record: dict[str, Any]) -> None:
        """Write one finished run atomically."""
        _atomic_write(self.runs / f"{record['id']}.json", json.dumps(record, separators=(",", ":")))

    def get(self, ids: list[str]) -> list[dict[str, Any]]:
        """The records of these runs, in the order given."""
        return [json.loads((self.runs / f"{i}.json").read_text()) for i in ids]


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
