"""Compile the model's kernels ahead of use, in parallel processes, so that a first run loads them from the cache.

Compiling all kernels takes one process 12-18 s on the project's 2-core machine; loading them from the cache
under 1 s. The kernels and the argument types the model calls them with are listed in
``sim/kernels/signatures.json``, so each process can compile its share by name without running the model::

    python -m sim.kernels.warm              # compile what the cache lacks, one process per core (at most 4)
    python -m sim.kernels.warm --record     # rewrite signatures.json (after changing a kernel's arguments)

The command line does the same before its first model runs (:func:`before_first_run`), so a first command
that finds the cache empty (the warm step skipped) compiles in parallel too.
"""

from __future__ import annotations

import argparse
import dataclasses
import importlib
import json
import multiprocessing
import os
import pkgutil
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numba

import sim.kernels

MAX_PROCESSES = 4  # more processes than this gain little: the largest kernel alone takes a quarter of the time
RECORD_ACCOUNTS = 120  # small books: recording compiles every kernel, the runs themselves should cost nothing
RECORD_WEEKS = 16  # past every scenario's first review, quarter and pay period, so every stage has run
NOT_KERNELS = ("warm",)  # modules of sim.kernels that hold no kernels
MANIFEST = Path(__file__).with_name("signatures.json")
_ARRAY = re.compile(r"(readonly )?array\((\w+), (\d)d, ([CFA])\)")  # how numba writes an array type


@dataclass(frozen=True)
class Entry:
    """One kernel and one argument-type signature it is called with (a line of ``signatures.json``)."""

    kernel: str  # module.function, e.g. "sim.kernels.week.spend"
    args: tuple[str, ...]  # the argument types as numba names them, e.g. ("array(float64, 1d, C)", "int64")
    seconds: float  # time it took to compile when recorded (for splitting the work evenly)


def entries(path: Path = MANIFEST) -> list[Entry]:
    """The recorded signatures, in the order the model first calls them (none if the file is missing)."""
    try:
        rows = json.loads(path.read_text(encoding="utf-8"))["signatures"]
    except (OSError, ValueError, KeyError):
        return []
    return [Entry(r["kernel"], tuple(r["args"]), float(r["seconds"])) for r in rows]


def dispatchers() -> dict[str, Any]:
    """Every kernel of :mod:`sim.kernels`, by ``module.function``."""
    from numba.core.registry import CPUDispatcher

    found = {}
    for info in pkgutil.iter_modules(sim.kernels.__path__):
        if info.name in NOT_KERNELS:
            continue
        module = importlib.import_module(f"sim.kernels.{info.name}")
        for name, obj in vars(module).items():
            if isinstance(obj, CPUDispatcher) and obj.py_func.__module__ == module.__name__:
                found[f"{module.__name__}.{name}"] = obj
    return found


def numba_type(name: str) -> Any:
    """The numba type ``name`` names (``str()`` of the type): a scalar such as ``float64`` or an aligned array
    such as ``readonly array(int64, 1d, C)``. Raises ValueError for anything else."""
    from numba.core import types

    m = _ARRAY.fullmatch(name)
    if m:
        dtype = getattr(types, m.group(2), None)
        if isinstance(dtype, types.Type):
            layout: Any = m.group(4)  # one of C, F, A (the pattern allows no other)
            return types.Array(dtype, int(m.group(3)), layout, readonly=bool(m.group(1)))
    found = getattr(types, name, None)
    if isinstance(found, types.Type) and str(found) == name:
        return found
    raise ValueError(f"not a numba type this module reads: {name!r}")


def argument_types(names: Sequence[str]) -> tuple[Any, ...]:
    """The numba types of a signature."""
    return tuple(numba_type(n) for n in names)


@dataclass
class Outcome:
    """What a process did with its entries: loaded from the cache or compiled, and how long it took."""

    loaded: int = 0
    compiled: int = 0
    stale: int = 0  # listed signatures their kernel no longer takes (the list wants --record)
    seconds: float = 0.0

    def add(self, other: Outcome) -> None:
        """Count ``other``'s kernels in with these (times are not added: processes overlap)."""
        self.loaded += other.loaded
        self.compiled += other.compiled
        self.stale += other.stale


def compile_entries(todo: Iterable[Entry]) -> Outcome:
    """Compile (or load from the cache) each entry in this process."""
    kernels = dispatchers()
    out = Outcome()
    start = time.perf_counter()
    for e in todo:
        d = kernels.get(e.kernel)
        try:
            sig = argument_types(e.args)
        except ValueError:
            d = None
        if d is None:  # the list names a kernel that is gone, or a type unknown here: runs compile it lazily
            out.stale += 1
            continue
        hits = sum(d.stats.cache_hits.values())
        misses = sum(d.stats.cache_misses.values())
        try:
            d.compile(sig)
        except (numba.core.errors.NumbaError, TypeError):  # its arguments changed since the list was recorded
            out.stale += 1
            continue
        out.loaded += sum(d.stats.cache_hits.values()) - hits
        out.compiled += sum(d.stats.cache_misses.values()) - misses
    out.seconds = time.perf_counter() - start
    return out


def split(todo: Sequence[Entry], parts: int) -> list[list[Entry]]:
    """``todo`` in ``parts`` groups of about equal compile time (longest first to the least loaded group),
    each group in the manifest's order."""
    groups: list[list[Entry]] = [[] for _ in range(parts)]
    load = [0.0] * parts
    for e in sorted(todo, key=lambda e: -e.seconds):
        k = load.index(min(load))
        groups[k].append(e)
        load[k] += e.seconds
    order = {e: i for i, e in enumerate(todo)}
    return [sorted(g, key=order.__getitem__) for g in groups]


def default_processes() -> int:
    """One process per usable core, at most :data:`MAX_PROCESSES`."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    return max(1, min(MAX_PROCESSES, cores))


def _child(args: Sequence[str], report: bool = False) -> subprocess.Popen[str]:
    """This module run as ``python -m sim.kernels.warm ARGS`` in a new process, with this cache folder; with
    ``report`` its standard output (its :class:`Outcome` as JSON) is kept for the caller."""
    env = {**os.environ, "NUMBA_CACHE_DIR": os.environ["NUMBA_CACHE_DIR"], sim.kernels.ANNOUNCE: "0"}  # quiet
    return subprocess.Popen(
        [sys.executable, "-m", "sim.kernels.warm", *args],
        env=env,
        text=True,
        stdout=subprocess.PIPE if report else subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def warm(processes: int | None = None, load: bool = True) -> Outcome:
    """Fill the cache and (with ``load``) load every kernel into this process; return how many were loaded and
    compiled.

    The first kernel tells whether the cache is empty (a fresh install): then ``processes`` processes, this one
    included, compile a share each, and this one loads the others' from the cache. Otherwise this process
    loads each module's kernels, compiling those of any module changed since it was cached.
    """
    start = time.perf_counter()
    todo = entries()
    if not todo:
        return Outcome()
    out = compile_entries(todo[:1])
    if out.compiled:  # an empty cache: compile the rest in parallel
        out.add(compile_in_parallel(todo[1:], processes or default_processes()))
    elif load:
        out.add(compile_entries(todo[1:]))
    out.seconds = time.perf_counter() - start
    return out


def compile_in_parallel(todo: Sequence[Entry], processes: int) -> Outcome:
    """Compile ``todo`` in ``processes`` processes (this one and children), then load all of it here."""
    index = {e: i for i, e in enumerate(entries())}
    groups = split(todo, processes)
    try:
        children = [_child(["--entries", ",".join(str(index[e]) for e in g)], report=True) for g in groups[1:] if g]
    except OSError:  # no process to spare: this one compiles everything, as a run would have
        children = []
    out = compile_entries(groups[0])
    failed = 0
    for c in children:
        text, _ = c.communicate()
        if c.returncode == 0:
            out.compiled += json.loads(text)["compiled"]
        else:
            failed += 1
    out.add(compile_entries(e for g in groups[1:] for e in g))  # loaded from the cache the children filled
    if failed:  # what a failed child left undone, this process compiled just now
        print(f"salesim: {failed} compiling process(es) failed; this one compiled their kernels", file=sys.stderr)
    return out


_done_here = False


def before_first_run(load: bool = True) -> None:
    """On the command line (``SALESIM_ANNOUNCE_COMPILE=1``), once per process and not in a worker process:
    :func:`warm`, so an empty cache is filled in parallel instead of one kernel at a time as the run reaches
    each. On a filled cache this loads the kernels the run would load anyway (``load=False``, for a batch whose
    runs happen in worker processes: only checks). The Python API stays lazy."""
    global _done_here
    if _done_here or os.environ.get(sim.kernels.ANNOUNCE) != "1" or multiprocessing.parent_process() is not None:
        return
    _done_here = True
    if load or not looks_filled():
        warm(load=load)


def looks_filled() -> bool:
    """Whether the cache folder holds an index of the first listed kernel (numba names it
    ``<module>.<function>-<line>.pyXY.nbi``): a check that loads nothing. A stale index is not noticed here;
    the run then compiles that module's kernels as it reaches them."""
    todo = entries()
    if not todo:
        return True
    module, function = todo[0].kernel.rsplit(".", 2)[-2:]
    return any(Path(os.environ["NUMBA_CACHE_DIR"]).glob(f"*/{module}.{function}-*.nbi"))


# --- recording the signatures ----------------------------------------------------------------------------------


def record_here() -> list[Entry]:
    """Run every shipped scenario briefly on a small book and list each kernel signature compiled, in order of
    first compile, with its own compile time (nested compiles not counted twice). Needs an empty cache."""
    from numba.core import event

    from sim.model import SalesModel
    from sim.scenario import list_scenarios

    seen: list[tuple[str, tuple[Any, ...]]] = []
    own: dict[tuple[str, tuple[Any, ...]], float] = {}
    stack: list[list[Any]] = []
    clock: Callable[[], float] = time.perf_counter

    class Timer(event.Listener):
        def on_start(self, ev: event.Event) -> None:
            d = ev.data["dispatcher"]
            key = (f"{d.py_func.__module__}.{d.py_func.__name__}", tuple(ev.data["args"]))
            stack.append([key, clock(), 0.0])

        def on_end(self, ev: event.Event) -> None:
            key, t0, nested = stack.pop()
            spent = clock() - t0
            if stack:
                stack[-1][2] += spent
            if key not in own:
                seen.append(key)
                own[key] = 0.0
            own[key] += spent - nested

    event.register("numba:compile", Timer())
    for sc in list_scenarios():
        p = sc.params if sc.params.book else sc.params.replace(n_accounts=RECORD_ACCOUNTS)
        SalesModel(p, rng=1).run(RECORD_WEEKS)
    usable = []
    for kernel_name, args in seen:  # in order of first compile
        if not kernel_name.startswith("sim.kernels."):  # numba's own helpers, compiled with the kernels
            continue
        names = tuple(str(t) for t in args)
        try:
            ok = argument_types(names) == args
        except ValueError:  # a literal (a helper called with a constant by another kernel): compiled with it
            ok = False
        if ok:
            usable.append(Entry(kernel_name, names, round(own[kernel_name, args], 2)))
    return usable


def write_manifest(rows: Sequence[Entry], path: Path) -> None:
    """Write ``signatures.json``: one kernel signature a line."""
    body = ",\n".join("    " + json.dumps(dataclasses.asdict(e)) for e in rows)
    path.write_text(
        '{"about": "The kernels and the argument types the model calls them with, in order of first '
        "use, each with its compile time in seconds when recorded. Written by python -m "
        'sim.kernels.warm --record; tests/test_warm.py checks that runs call nothing else.",\n'
        f' "signatures": [\n{body}\n]}}\n',
        encoding="utf-8",
    )


def record(path: Path) -> int:
    """Record the signatures in a child process with an empty cache of its own, and write them to ``path``."""
    with tempfile.TemporaryDirectory(prefix="salesim-record-") as folder:
        env = {**os.environ, "NUMBA_CACHE_DIR": folder}
        done = subprocess.run(
            [sys.executable, "-m", "sim.kernels.warm", "--record-here", str(path)], env=env, check=False
        )
    return done.returncode


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m sim.kernels.warm``: compile the kernels into the cache (or record their signatures)."""
    ap = argparse.ArgumentParser(prog="python -m sim.kernels.warm", description=__doc__.split("\n")[0])
    ap.add_argument(
        "--processes",
        type=int,
        default=None,
        help=f"compiling processes (default: one per core, at most {MAX_PROCESSES})",
    )
    ap.add_argument("--record", action="store_true", help="rewrite sim/kernels/signatures.json")
    ap.add_argument("--record-here", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--entries", help=argparse.SUPPRESS)  # a child's share: positions in the manifest
    a = ap.parse_args(argv)
    if a.record:
        return record(MANIFEST)
    if a.record_here:
        write_manifest(record_here(), a.record_here)
        return 0
    if a.entries is not None:
        every = entries()
        done = compile_entries(every[int(i)] for i in a.entries.split(","))
        print(json.dumps(dataclasses.asdict(done)))
        return 0
    out = warm(a.processes)
    folder = os.environ["NUMBA_CACHE_DIR"]
    if out.compiled:
        print(f"salesim: compiled {out.compiled} kernel signatures in {out.seconds:.1f} s into {folder}")
    else:
        print(f"salesim: the kernels were already compiled; loaded {out.loaded} from {folder} in {out.seconds:.1f} s")
    if out.stale:
        print(
            f"salesim: {out.stale} listed kernel signatures no longer match the kernels (runs compile them "
            "when they first call them); run python -m sim.kernels.warm --record",
            file=sys.stderr,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
