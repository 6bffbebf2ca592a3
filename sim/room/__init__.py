"""Room mode: a workshop where every table runs its own copy of the same sales unit, a quarter at a time.

The facilitator opens a room and reads out its join code; each table joins from its own browser,
sets the levers the facilitator chose, locks them and predicts an outcome; the facilitator
advances the quarter and every table's unit runs on the room's one seed (a fair race).
``salesim room`` serves it (:mod:`sim.room.cli`). Pieces, one job each:

- :mod:`sim.room.settings`  the room's declared numbers (quarter length, caps, timings)
- :mod:`sim.room.store`     rooms, tables, choices and results in SQLite, written every quarter
- :mod:`sim.room.engine`    a table's run: warm-up, then its policy quarter by quarter
- :mod:`sim.room.pool`      worker processes that compute a quarter for every table at once
- :mod:`sim.room.service`   what the pages may do: join, set, lock, advance, leaderboard, debrief
- :mod:`sim.room.app`       the Starlette routes and JSON endpoints; ``static/`` the pages' JS and CSS
"""
