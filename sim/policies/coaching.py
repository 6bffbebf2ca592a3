"""Coaching styles: how what a manager asks shapes a rep's pressure, care and stress (M5, seed 001).

"When will this close?" amplifies anxiety and the weight of the close rate;
"How are you helping this person?" keeps the customer in view and lets stress
fade. Each style's figures are parameters (``<style>_pressure``, ``_care``,
``_anxiety``, ``_recovery``, ``_learning`` in :class:`sim.params.Params`),
assumptions bounded by FACTS 13 (coaching effects of up to about a fifth on
middle performers; frequent unskilled coaching can hurt).
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.params import CoachingStyle, Params


@dataclass(frozen=True)
class Style:
    """Multipliers a coaching style applies to a rep's decisions and stress."""

    pressure: float  # on felt pressure from the close-rate target
    care: float  # on the weight given to serving the customer
    anxiety: float  # stress added each week by the coaching conversation itself
    recovery: float  # multiplier on the rate at which stress fades
    learning: float  # contribution to skill growth


def style(p: Params, name: CoachingStyle) -> Style:
    """The figures of coaching style ``name`` under parameters ``p``."""
    return Style(pressure=getattr(p, f"{name}_pressure"), care=getattr(p, f"{name}_care"),
                 anxiety=getattr(p, f"{name}_anxiety"), recovery=getattr(p, f"{name}_recovery"),
                 learning=getattr(p, f"{name}_learning"))
