"""Randomised field trials inside the model: a trial file, the randomisation, the runs and the effect.

>>> from sim.trials import load_trial, run_trial   # doctest: +SKIP
>>> table = run_trial(load_trial("experiments/trials/ascarza_outreach.toml"), replications=10, seed=1)
"""

from sim.trials.run import TrialResult, run_trial
from sim.trials.spec import TrialSpec, load_trial

__all__ = ["TrialResult", "TrialSpec", "load_trial", "run_trial"]
