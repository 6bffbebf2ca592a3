"""Errors caused by what a user typed or wrote, as opposed to bugs in the simulator."""

from __future__ import annotations


class UserError(Exception):
    """Bad input from a user; the message is a complete one-paragraph explanation.

    The command line prints the message without a traceback and exits with status 2.
    """


class ScenarioError(UserError):
    """A scenario file, a scenario name or a ``--set`` override is invalid."""
