"""salesim: an agent-based simulation of how sales incentives shape behaviour.

Quick use::

    from sim import SalesModel, load_scenario
    model = SalesModel.from_scenario(load_scenario("banner_mandate"), rng=1).run(104)
    model.kpis()["banner_avoidance_rate"]

Batches (tidy DataFrames, one row a run; see :mod:`sim.api`)::

    runs = sim.compare(["baseline", "banner_mandate"], replications=10)
    sim.paired(runs, "profit", reference="baseline")
"""

from sim.api import compare, paired, sweep
from sim.model import SalesModel
from sim.params import Params
from sim.scenario import load_scenario

__all__ = ["Params", "SalesModel", "compare", "load_scenario", "paired", "sweep"]
__version__ = "0.1.0"
