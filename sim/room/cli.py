"""``salesim room``: serve a workshop room (tables in their own browsers, the facilitator advances quarters).

Registered in :mod:`sim.cli` by :func:`add_room`. Everything the room knows is in the ``--db``
SQLite file: start the same command again after a crash or a reboot and every room, table and
quarter is back. The facilitator's link (with its key, kept in the file) is printed at start.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from pydantic import ValidationError

from sim.cli_common import command_parser, positive_int, run_command_line
from sim.dashboard import binding
from sim.dashboard.cli import check_port_free, port_number
from sim.errors import UserError
from sim.room.settings import QUARTERS_MAX, TABLES_MAX

DEFAULT_DB = Path("runs") / "room.sqlite"
DEFAULT_PORT = 8770
DEFAULT_HOST = "127.0.0.1"


def add_room(sub: argparse._SubParsersAction) -> None:
    """Register ``salesim room``."""
    p = sub.add_parser(
        "room",
        help="serve a workshop room: tables play quarters on the same unit, a leaderboard, a debrief",
        description="Serve a workshop room. The facilitator opens a room and reads out its code; each table joins "
        "from its own browser, sets the chosen levers, locks them and predicts an outcome; the "
        "facilitator runs each quarter for every table on the same seed. State is kept in --db, so a "
        "restart loses nothing. Works without internet. Stop it with Ctrl+C.",
    )
    p.add_argument("--db", type=Path, default=DEFAULT_DB, help=f"the room's SQLite file (default: {DEFAULT_DB})")
    p.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help="address to listen on (default: 127.0.0.1; use 0.0.0.0 so tables' laptops on the room's network can join)",
    )
    p.add_argument("--port", type=port_number, default=DEFAULT_PORT, help=f"port (default: {DEFAULT_PORT})")
    p.add_argument(
        "--preset", default="banner_mandate", help="scenario the facilitator's form proposes (default: banner_mandate)"
    )
    p.add_argument(
        "--tables-max",
        type=positive_int,
        default=TABLES_MAX.default,
        help=f"tables a room admits, {TABLES_MAX.lo}-{TABLES_MAX.hi} (default: {TABLES_MAX.default})",
    )
    p.add_argument(
        "--quarters",
        type=positive_int,
        default=QUARTERS_MAX.default,
        help=f"quarters a room plays, {QUARTERS_MAX.lo}-{QUARTERS_MAX.hi} (default: {QUARTERS_MAX.default})",
    )
    p.add_argument(
        "--accounts",
        type=positive_int,
        default=None,
        help="customer accounts in each table's unit (default: the preset's)",
    )
    p.add_argument("--reps", type=positive_int, default=None, help="sales reps in each unit (default: the preset's)")
    p.add_argument("--managers", type=positive_int, default=None, help="managers in each unit (default: the preset's)")
    p.add_argument("--workers", type=positive_int, default=None, help="worker processes (default: one per core)")
    p.set_defaults(func=cmd_room)


def sizes_of(args: argparse.Namespace, preset: str) -> dict[str, int]:
    """The unit size the options ask for, checked against the preset's (a UserError names the option)."""
    from sim.scenario import load_scenario

    scenario = load_scenario(preset)
    sizes = {
        k: v
        for k, v in (("n_accounts", args.accounts), ("n_reps", args.reps), ("n_managers", args.managers))
        if v is not None
    }
    try:
        scenario.params.replace(**sizes)
    except ValidationError as exc:
        options = {"n_accounts": "--accounts", "n_reps": "--reps", "n_managers": "--managers"}
        parts = []
        for err in exc.errors():
            field = str(err["loc"][0]) if err["loc"] else ""
            text = str(err["msg"]).removeprefix("Value error, ").replace("Input should be", "must be")
            for name, option in options.items():
                text = text.replace(name, option)
            parts.append(f"{options[field]} {text}" if field in options else text)
        raise UserError("The unit size is not allowed: " + "; ".join(parts) + ".") from None
    return sizes


def cmd_room(args: argparse.Namespace) -> int:
    """Check the options and the database, then serve until Ctrl+C."""
    TABLES_MAX.check(args.tables_max, "--tables-max")
    QUARTERS_MAX.check(args.quarters, "--quarters")
    if args.workers is not None and args.workers > 256:
        raise UserError(f"--workers {args.workers} is above the limit of 256.")
    sizes = sizes_of(args, args.preset)
    check_port_free(args.host, args.port)
    from sim.room.store import Store

    store = Store(args.db)
    import uvicorn

    from sim.room.app import build_app
    from sim.room.pool import QuarterPool
    from sim.room.service import RoomService

    service = RoomService(
        store, QuarterPool(args.workers), sizes, args.tables_max, args.quarters, default_preset=args.preset
    )
    bound = binding.classify(args.host)
    base = f"http://{bound.url_host}:{args.port}"
    print(f"Workshop room: tables join at {base}/  (Ctrl+C to stop)")
    print(f"Facilitator: {base}/host?key={service.facilitator_key}")
    if not bound.loopback:
        print(
            f"Tables' laptops use this computer's address on the room's network, e.g. "
            f"http://<address>:{args.port}/; keep the facilitator link to yourself.",
            file=sys.stderr,
        )
    print(f"Rooms, tables and every quarter are saved in {store.path.resolve()}")
    sys.stdout.flush()
    config = uvicorn.Config(
        build_app(service), host=args.host, port=args.port, log_level="warning", access_log=False, lifespan="on"
    )
    uvicorn.Server(config).run()
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m sim.room.cli ARGS`` behaves as ``salesim room ARGS``."""
    return run_command_line(lambda: command_parser([add_room]), ["room", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
