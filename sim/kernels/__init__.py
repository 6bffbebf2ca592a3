"""Compiled kernels for the account work of the week's stages (numba, compiled once and cached on disk).

Each kernel does in one or two passes over the accounts what a stage used to do in dozens of NumPy calls,
with the same operations in the same order, so results are bit for bit those of the NumPy code they replace
(the golden runs in tests/golden check it). Per-seat random numbers are computed inside the kernels from
their address (:mod:`sim.kernels.draws`), only where they are used.

``fastmath`` is off (no reordering, no fused multiply-add). Compiled code is cached in a writable per-user
folder (``NUMBA_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/salesim/numba/DIGEST`` or
``~/.cache/salesim/numba/DIGEST``, one folder per version of the kernels' sources), so only the first run on a
machine pays for compiling.
"""

from __future__ import annotations

import functools
import multiprocessing
import os
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np

    from sim.params import Params


def sources_digest() -> str:
    """A short hash of the kernels' sources and the constants they freeze in (sim/population.py), and numba's
    version. Numba notices a change to a kernel's own file but not to a kernel it calls in another file or to a
    module constant it compiled in, so each version of the sources gets a cache folder of its own."""
    import hashlib

    import numba as nb  # only its version string; the cache folder is set before numba's config is read

    h = hashlib.sha256(nb.__version__.encode())
    here = Path(__file__).resolve().parent
    for path in [*sorted(here.glob("*.py")), here.parent / "population.py"]:
        h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()[:12]


def cache_folder() -> Path:
    """Where compiled kernels are kept between processes: ``NUMBA_CACHE_DIR`` if set, else a folder per
    :func:`sources_digest` in the user's cache folder, else (if that cannot be written) in a per-user folder
    of the temporary directory."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        return Path(os.environ["NUMBA_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    folder = Path(base) / "salesim" / "numba" / sources_digest()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if os.access(folder, os.W_OK):
            return folder
    except OSError:
        pass
    user = os.getuid() if hasattr(os, "getuid") else "user"
    return Path(tempfile.gettempdir()) / f"salesim-numba-{user}" / sources_digest()


os.environ.setdefault("NUMBA_CACHE_DIR", str(cache_folder()))
# Intel's vector math library, where installed, would make numba's exp and pow differ by CPU (sim.kernels.libm).
os.environ["NUMBA_DISABLE_INTEL_SVML"] = "1"

import numba  # noqa: E402  (after the cache folder is set: numba reads it on import)

# If numba was imported before us, it read the environment already: point its configuration at the folder.
setattr(numba.config, "CACHE_DIR", os.environ["NUMBA_CACHE_DIR"])  # noqa: B010 (numba's config is untyped)


class _CompileNotice(numba.core.event.Listener):
    """Says once, on the command line, that the kernels are being compiled: the first run on a machine waits
    for it, and a silent wait looks like a hang. Loading compiled kernels from the cache says nothing."""

    shown = False

    def on_start(self, event: numba.core.event.Event) -> None:
        if _CompileNotice.shown or os.environ.get(ANNOUNCE) != "1" or multiprocessing.parent_process() is not None:
            return
        _CompileNotice.shown = True
        print(f"salesim: compiling the model's kernels for this machine, once (about 10 s; 'python -m "
              f"sim.kernels.warm' does it ahead); later runs load them from {os.environ['NUMBA_CACHE_DIR']}",
              file=sys.stderr, flush=True)

    def on_end(self, event: numba.core.event.Event) -> None:
        pass


ANNOUNCE = "SALESIM_ANNOUNCE_COMPILE"  # set to 1 by the command line (sim.cli_common); the Python API stays quiet
numba.core.event.register("numba:compile", _CompileNotice())


def kernel(func):
    """Compile ``func`` as a kernel: nopython, cached, IEEE arithmetic in source order."""
    return numba.njit(cache=True, fastmath=False, error_model="numpy", boundscheck=False)(func)


def per_params(build: Callable[[Params], np.ndarray]) -> Callable[[Params], np.ndarray]:
    """Keep the scalar parameters a kernel reads, ``build(p)``, for the last ``p`` it was called with instead of
    building the array every week. ``p`` is recognised by identity: parameters are frozen, and a lever changed
    mid-run installs a new object. The array is shared, so the kernels only read it."""
    last: list = [None, None]

    @functools.wraps(build)
    def cached(p: Params) -> np.ndarray:
        if last[0] is not p:
            last[0], last[1] = p, build(p)
        return last[1]

    return cached
