"""Checks every command runs before work starts: output folders, workers, scheduler addresses.

Each guard raises a :class:`~sim.errors.UserError` (exit 2) naming the option,
the value and what is allowed, so a command never fails half-way because its
output cannot be written, and never asks for more processes than cores.
Size caps and estimates live in :mod:`sim.limits`.
"""

from __future__ import annotations

import json
import os
import re
import sys
import tempfile
from pathlib import Path

from sim import limits
from sim.errors import UserError
from sim.safepath import pseudo_root, resolve

_ADDRESS = re.compile(r"^(?:(tcp|tls|ws|wss|ucx|inproc)://)?(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9_.-]+):(\d{1,5})/?$")


def output_folder(out: Path, option: str = "--out", create: bool = True) -> Path:
    """Check that ``out`` can be a folder of results and, with ``create``, make it; return it.

    Refuses a path that is a file, lies below a file, lies in /proc, /sys or /dev, or cannot be
    created or written, with the reason. Without ``create`` nothing is made on disk (for checks
    that come before other validation): the nearest existing folder must be writable.
    """
    real = _writable_place(out, option)
    if real.exists() and not real.is_dir():
        raise UserError(f"{option} {out} is an existing file, not a folder; choose another path or remove the file.")
    blocker = next((p for p in real.parents if p.exists() and not p.is_dir()), None)
    if blocker is not None:
        raise UserError(f"{option} {out}: {blocker} is a file, so no folder can be made below it; choose another "
                        "path.")
    if not create:
        nearest = next(p for p in (real, *real.parents) if p.exists())
        if not os.access(nearest, os.W_OK | os.X_OK):
            raise UserError(f"{option} {out}: cannot create or write the output folder ({nearest} is not writable); "
                            "choose a folder you can write to.")
        return out
    try:
        real.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=real):
            pass
    except OSError as exc:
        raise UserError(f"{option} {out}: cannot create or write the output folder "
                        f"({exc.strerror or exc}); choose a folder you can write to.") from None
    return out


def output_file(out: Path, option: str = "--out") -> Path:
    """Check that the file ``out`` can be written (its folder exists and is writable), before any work."""
    real = _writable_place(out, option)
    if real.is_dir():
        raise UserError(f"{option} {out} is a folder; give the path of a file.")
    if not real.parent.is_dir():
        raise UserError(f"{option} {out}: the folder {out.parent} does not exist; create it or choose another path.")
    try:
        with tempfile.TemporaryFile(dir=real.parent):
            pass
    except OSError as exc:
        raise UserError(f"{option} {out}: cannot write in {out.parent} ({exc.strerror or exc}).") from None
    return out


def experiment_folder(out: Path, resume: bool, option: str = "--out") -> Path:
    """An experiment folder: can be made and written, and when it holds an experiment, has a readable spec.json.

    Nothing is created: the experiment's store makes the folder once every other check has passed.
    """
    output_folder(out, option, create=False)
    spec = out / "spec.json"
    if spec.exists():
        try:
            data = json.loads(spec.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError):
            data = None
        if not isinstance(data, dict):
            action = "cannot be resumed" if resume else "cannot be reused"
            raise UserError(f"{option} {out}: its spec.json (what the experiment is) is damaged or not JSON, so the "
                            f"folder {action}: nobody can tell which experiment its runs belong to. Choose another "
                            f"{option}, or remove the folder to start again.")
    return out


def workers(n: int | None, cores: int | None = None) -> int | None:
    """``--workers`` checked: refused above :data:`sim.limits.WORKERS`, reduced to the core count with a note."""
    if n is None:
        return None
    limits.WORKERS.check(n)
    cores = cores or limits.cpu_count()
    if n > cores:
        print(f"salesim: note: --workers {n} is more than the {cores} CPU cores here; using {cores} "
              "(more processes than cores only slow each other down).", file=sys.stderr)
        return cores
    return n


def scheduler(address: str | None) -> str | None:
    """``--scheduler`` checked for the form [PROTOCOL://]HOST:PORT before Dask is asked to connect."""
    if address is None:
        return None
    m = _ADDRESS.match(address.strip())
    if not m or not 1 <= int(m[3]) <= 65535:
        raise UserError(f"--scheduler {address!r} is not a scheduler address: write [PROTOCOL://]HOST:PORT with a "
                        "port from 1 to 65535, e.g. tcp://10.0.0.5:8786 (the address 'dask scheduler' prints).")
    return address.strip()


def _writable_place(out: Path, option: str) -> Path:
    """``out`` resolved, refusing symlink loops and the system folders /proc, /sys and /dev."""
    real = resolve(out, option)
    system = pseudo_root(real)
    if system is not None:
        raise UserError(f"{option} {out} lies in {system}, a system folder where results cannot be kept; choose "
                        "a folder of your own, e.g. runs/NAME.")
    return real
