"""One runner for every batch of runs: comparisons, sweeps, and later sensitivity and calibration.

- :mod:`jobs`: what a run is (parameters, replication, seed) and how its seed derives from one root seed;
- :mod:`worker`: the pure function that runs one job (importable by any process or Dask worker);
- :mod:`executors`: serial, local processes, Dask;
- :mod:`store`: one folder per experiment, each finished run written atomically, resumable;
- :mod:`runner`: runs what the store does not have yet, on an executor, with progress;
- :mod:`compare`, :mod:`sweep`: the experiments users ask for.
"""

from sim.experiment.jobs import Job, job_seed
from sim.experiment.runner import run_jobs
from sim.experiment.store import Store

__all__ = ["Job", "Store", "job_seed", "run_jobs"]
