"""The ABC-SMC perturbation kernel: pyABC's multivariate normal, estimated in prior-width units.

pyABC's kernel is a normal with the population's weighted covariance, and SciPy treats a covariance whose
smallest eigenvalue is below about 2e-10 of its largest as singular (a proposal then gets zero density and
an infinite weight). The calibrated parameters' prior ranges span four orders of magnitude (0.001-0.006
against 6-24), so the raw covariance reaches that ratio after two or three generations while its
correlation structure is still well conditioned. Dividing each parameter by its prior width before the
kernel is estimated, and the density by the widths' product after, is the same kernel family and Silverman
bandwidth, only on a scale where SciPy's numerics hold.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from pyabc import MultivariateNormalTransition, Parameter
from pyabc.transition import Transition


class WidthScaledNormalTransition(Transition):
    """A multivariate normal kernel fitted to the particles in units of their prior widths.

    Args:
        widths: each calibrated parameter's prior width (upper bound minus lower bound), by name.
    """

    def __init__(self, widths: dict[str, float]) -> None:
        self.widths = widths
        self.unscaled = MultivariateNormalTransition()
        self._scale = np.ones(0)

    def fit(self, X: pd.DataFrame, w: np.ndarray) -> None:
        """Estimate the kernel from the population ``X`` (one column a parameter) and its weights."""
        self._scale = np.array([float(self.widths[c]) for c in X.columns])
        self.unscaled.fit(X / self._scale, w)

    def rvs_single(self) -> Parameter:
        """Draw one proposal: a particle by weight, perturbed, back in the parameters' own units."""
        scaled = self.unscaled.rvs_single()
        return Parameter({k: float(scaled[k]) * float(self.widths[k]) for k in self.X.columns})

    def pdf(self, x: Parameter | pd.Series | pd.DataFrame) -> float | np.ndarray:
        """The kernel density at ``x`` in the parameters' own units (the widths' Jacobian included)."""
        columns = list(self.X.columns)
        if isinstance(x, pd.DataFrame):
            scaled = x[columns] / self._scale
        else:
            scaled = pd.Series({k: float(x[k]) / float(self.widths[k]) for k in columns})
        return self.unscaled.pdf(scaled) / float(np.prod(self._scale))
