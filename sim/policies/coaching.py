"""Coaching styles: how what a manager asks shapes a rep's pressure, care and stress (M5, seed 001).

"When will this close?" amplifies anxiety and the weight of the close rate;
"How are you helping this person?" keeps the customer in view and lets stress
fade. Figures are assumptions, bounded by FACTS 13 (coaching effects of up to
about a fifth on middle performers; frequent unskilled coaching can hurt).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Style:
    """Multipliers a coaching style applies to a rep's decisions and stress."""

    pressure: float  # on felt pressure from the close-rate target
    care: float  # on the weight given to serving the customer
    anxiety: float  # stress added each week by the coaching conversation itself
    recovery: float  # multiplier on the rate at which stress fades
    learning: float  # contribution to skill growth


STYLES = {
    "close_focused": Style(pressure=1.3, care=0.85, anxiety=0.01, recovery=1.0, learning=0.0),
    "neutral": Style(pressure=1.0, care=1.0, anxiety=0.0, recovery=1.0, learning=0.3),
    "customer_focused": Style(pressure=0.6, care=1.3, anxiety=0.0, recovery=1.4, learning=0.6),
}

ONE_ON_ONE_RECOVERY = 1.5  # stress fades faster with individual attention
ONE_ON_ONE_LEARNING = 1.0
JOINS_CALLS_LEARNING = 1.0
SKILL_CEILING = 1.0
