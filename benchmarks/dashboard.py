"""Server time of one dashboard week at the default size: the model's step plus every chart and the book.

Usage::

    python benchmarks/dashboard.py

Prints the median, the model-step and drawing parts, the worst week and the CPU time, against the
100 ms budget (see sim/dashboard/timing.py). A measurement, not a test.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sim.dashboard.timing import main  # noqa: E402

if __name__ == "__main__":
    main()
