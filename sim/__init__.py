"""salesim: an agent-based simulation of how sales incentives shape behaviour.

Quick use::

    from sim import SalesModel, load_scenario
    model = SalesModel.from_scenario(load_scenario("banner_mandate"), rng=1).run(104)
    model.kpis()["banner_avoidance_rate"]

Batches (tidy DataFrames, one row a run; see :mod:`sim.api`)::

    runs = sim.compare(["baseline", "banner_mandate"], replications=10)
    sim.paired(runs, "profit", reference="baseline")

The names are imported when first used, so ``import sim`` (and every ``salesim`` command, which imports this
package) does not pay for Mesa, pandas and SciPy unless it needs them.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from sim.api import compare, paired, sweep
    from sim.model import SalesModel
    from sim.params import Params
    from sim.scenario import load_scenario

_HOME = {
    "compare": "sim.api",
    "paired": "sim.api",
    "sweep": "sim.api",
    "SalesModel": "sim.model",
    "Params": "sim.params",
    "load_scenario": "sim.scenario",
}  # each public name -> the module defining it

__all__ = ["Params", "SalesModel", "compare", "load_scenario", "paired", "sweep"]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    """Import a public name from its module on first use (PEP 562)."""
    if name in _HOME:
        value = getattr(importlib.import_module(_HOME[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'sim' has no attribute {name!r}")
