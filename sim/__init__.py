"""salesim: an agent-based simulation of how sales incentives shape behaviour.

Quick use::

    from sim import SalesModel, load_scenario
    model = SalesModel.from_scenario(load_scenario("banner_mandate"), rng=1).run(104)
    model.kpis()["banner_avoidance_rate"]
"""

from sim.model import SalesModel
from sim.params import Params
from sim.scenario import load_scenario

__all__ = ["Params", "SalesModel", "load_scenario"]
__version__ = "0.1.0"
