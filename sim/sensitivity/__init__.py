"""Global sensitivity analysis with SALib (Sobol, Morris; RBD-FAST, delta and PAWN on given data).

``analyze(problem, model_fn, ...)`` works on any callable; ``run_sensitivity``
analyses the model through the experiment runner.
"""

from sim.sensitivity.core import analyze, noise_share
from sim.sensitivity.given import given_data
from sim.sensitivity.problem import Problem, load_problem

__all__ = ["Problem", "analyze", "given_data", "load_problem", "noise_share"]
