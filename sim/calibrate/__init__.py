"""Calibration of the behavioural assumptions to published figures (ABC-SMC with pyABC)."""

from sim.calibrate.targets import Calibration, Target, load_targets

__all__ = ["Calibration", "Target", "load_targets"]
