"""Reports of simulation runs: figures and tables for people, not for further computation."""

from sim.report.weekly import plot_weekly

__all__ = ["plot_weekly"]
