"""The workshop dashboard: a Solara page that shows a run week by week and lets a room try levers.

Modules:
- ``levers``: plain-language labels for the levers, built on :func:`sim.params.param_info`,
  and validation of typed values through :class:`sim.params.Params`;
- ``state``: the session (live runs, presets, side by side), without any Solara import;
- ``charts`` and ``book``: matplotlib figures and the book-of-business image, as PNG bytes;
- ``assets``: the front-end files Solara would fetch from a CDN, shipped for offline rooms;
- ``app``: the page; ``cli``: ``salesim dashboard``; ``timing``: the server time of a week.

Nothing here decides how reps or customers behave: the dashboard declares the UI and calls the
model's public API.
"""
