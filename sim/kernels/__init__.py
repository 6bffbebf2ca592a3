"""Compiled kernels for the account work of the week's stages (numba, compiled once and cached on disk).

Each kernel does in one or two passes over the accounts what a stage used to do in dozens of NumPy calls,
with the same operations in the same order, so results are bit for bit those of the NumPy code they replace
(the golden runs in tests/golden check it). Random numbers are still drawn by NumPy, at the same size and in
the same order, and passed in.

``fastmath`` is off (no reordering, no fused multiply-add). Compiled code is cached in a writable per-user
folder (``NUMBA_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/salesim/numba`` or ``~/.cache/salesim/numba``), so
only the first run on a machine pays for compiling.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def cache_folder() -> Path:
    """Where compiled kernels are kept between processes: ``NUMBA_CACHE_DIR`` if set, else the user's cache
    folder, else (if that cannot be written) a per-user folder in the temporary directory."""
    if os.environ.get("NUMBA_CACHE_DIR"):
        return Path(os.environ["NUMBA_CACHE_DIR"])
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    folder = Path(base) / "salesim" / "numba"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        if os.access(folder, os.W_OK):
            return folder
    except OSError:
        pass
    return Path(tempfile.gettempdir()) / f"salesim-numba-{os.getuid() if hasattr(os, 'getuid') else 'user'}"


os.environ.setdefault("NUMBA_CACHE_DIR", str(cache_folder()))

import numba  # noqa: E402  (after the cache folder is set: numba reads it on import)

# If numba was imported before us, it read the environment already: point its configuration at the folder.
setattr(numba.config, "CACHE_DIR", os.environ["NUMBA_CACHE_DIR"])  # noqa: B010 (numba's config is untyped)


def kernel(func):
    """Compile ``func`` as a kernel: nopython, cached, IEEE arithmetic in source order."""
    return numba.njit(cache=True, fastmath=False, error_model="numpy", boundscheck=False)(func)
