"""``salesim dashboard``: start the workshop dashboard (a Solara app) on this computer.

Registered by :func:`add_dashboard` in the style of :mod:`sim.cli`. The server binds to
loopback unless ``--host`` says otherwise (any other bind warns, see
:mod:`sim.dashboard.binding`), serves its front-end files from its own copy of the package's
(no internet needed, see :mod:`sim.dashboard.assets`), runs in Solara's production mode, so a
page never shows a traceback, and sits behind :mod:`sim.dashboard.guard` (websocket origin
check, session cap, optional join code). ``python -m sim.dashboard.cli [--host H] [--port N]``
does the same as ``salesim dashboard``. ``docs/security.md`` says what it exposes.
"""

from __future__ import annotations

import argparse
import errno
import os
import socket
import sys
from collections.abc import Sequence
from pathlib import Path

from sim.cli_common import command_parser, run_command_line
from sim.dashboard import binding
from sim.dashboard.joincode import ENV_JOIN_CODE, JoinCode
from sim.errors import UserError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
DEFAULT_MAX_SESSIONS = 40  # browser tabs at once; a workshop room plus spares (each holds a model)
MAX_SESSIONS_LIMIT = 1000
SESSION_RELEASE = "45s"  # a tab gone without its close beacon frees its session after this (Solara: 24h)
DEFAULT_EXPORTS = Path("runs") / "dashboard-exports"
APP = "sim.dashboard.app:Page"
ENV_EXPORTS = "SALESIM_DASHBOARD_EXPORTS"
ENV_PRESET = "SALESIM_DASHBOARD_PRESET"


def port_number(text: str) -> int:
    """A TCP port number from 1 to 65535, for --port."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to 65535, got {text!r}") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be from 1 to 65535, got {value}")
    return value


def _max_sessions(text: str) -> int:
    """A session cap from 1 to MAX_SESSIONS_LIMIT, for --max-sessions."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to {MAX_SESSIONS_LIMIT}, "
                                         f"got {text!r}") from None
    if not 1 <= value <= MAX_SESSIONS_LIMIT:
        raise argparse.ArgumentTypeError(f"must be from 1 to {MAX_SESSIONS_LIMIT}, got {value}")
    return value


def add_dashboard(sub: argparse._SubParsersAction) -> None:
    """Register ``salesim dashboard``."""
    p = sub.add_parser(
        "dashboard", help="start the workshop dashboard in the browser",
        description="Start the workshop dashboard: presets, levers, live charts, the book of business and "
                    "side-by-side runs, in a browser. Works without internet. Stop it with Ctrl+C.")
    p.add_argument("--host", default=DEFAULT_HOST,
                   help="address to listen on (default: 127.0.0.1, this computer only; 0.0.0.0 lets devices "
                        "on a trusted network connect, with a warning)")
    p.add_argument("--port", type=port_number, default=DEFAULT_PORT, help=f"port (default: {DEFAULT_PORT})")
    p.add_argument("--max-sessions", type=_max_sessions, default=DEFAULT_MAX_SESSIONS,
                   help=f"browser tabs open at once; more see 'the room is full' (default: {DEFAULT_MAX_SESSIONS})")
    p.add_argument("--join-code", default=None,
                   help=f"a code (4-64 letters, digits, - or _) needed to open the page, once as ?code=CODE "
                        f"(default: ${ENV_JOIN_CODE}, or none)")
    p.add_argument("--preset", default=None, help="scenario to open with (default: banner_mandate)")
    p.add_argument("--exports", type=Path, default=DEFAULT_EXPORTS,
                   help=f"folder for exported slides (default: {DEFAULT_EXPORTS})")
    p.set_defaults(func=cmd_dashboard)


def cmd_dashboard(args: argparse.Namespace) -> int:
    """Check the address, the preset and the export folder, then serve until Ctrl+C."""
    join = _join_code(args.join_code)
    check_port_free(args.host, args.port)
    if args.preset is not None:
        from sim.scenario import load_scenario

        load_scenario(args.preset)  # an unknown name raises ScenarioError with the list of names
    exports = _prepare_exports(args.exports)
    from sim.dashboard import assets

    gaps = assets.missing()
    if gaps:
        print(f"salesim: warning: {len(gaps)} front-end files are missing from {assets.ASSET_DIR} "
              f"(e.g. {gaps[0]}); without internet the page may stay blank. "
              "Run 'python -m sim.dashboard.assets refresh' on a machine with npm.", file=sys.stderr)
    bound = binding.classify(args.host)
    url = f"http://{bound.url_host}:{args.port}/" + (f"?code={join.code}" if join else "")
    print(f"Workshop dashboard: {url}  (Ctrl+C to stop)")
    alarm = binding.warning(bound, args.port, join_code=join is not None)
    if alarm:
        print(alarm, file=sys.stderr)
    print(f"At most {args.max_sessions} browser tabs at once" + (", join code required" if join else ""))
    print(f"Exported slides go to {exports}")
    serve(args.host, args.port, exports=exports, preset=args.preset, max_sessions=args.max_sessions, join=join)
    return 0


def _join_code(typed: str | None) -> JoinCode | None:
    """The join code from --join-code, else from the environment; None when neither sets one."""
    if typed is not None:
        return JoinCode(typed)
    code = os.environ.get(ENV_JOIN_CODE, "")
    return JoinCode(code, ENV_JOIN_CODE) if code != "" else None


def check_port_free(host: str, port: int) -> None:
    """Refuse, with a UserError, an address that cannot be bound (port in use, unknown host)."""
    try:
        infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except socket.gaierror:
        raise UserError(f"--host {host!r} is not an address of this computer or a name that resolves to one. "
                        "Use 127.0.0.1 (this computer only) or 0.0.0.0 (every network interface).") from None
    family, _, _, _, address = infos[0]
    with socket.socket(family, socket.SOCK_STREAM) as s:
        if hasattr(socket, "SO_REUSEADDR") and os.name != "nt":
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise UserError(f"Port {port} on {host} is already in use (is a dashboard already running? "
                                f"Open http://{binding.classify(host).url_host}:{port}/ or stop it). "
                                f"Choose another port, "
                                f"e.g. --port {port + 1 if port < 65535 else 8765}.") from None
            if exc.errno in (errno.EACCES, errno.EPERM):
                raise UserError(f"Not allowed to listen on port {port}: ports below 1024 need administrator "
                                f"rights. Use a port from 1024 to 65535, e.g. --port {DEFAULT_PORT}.") from None
            if exc.errno == errno.EADDRNOTAVAIL:
                raise UserError(f"--host {host} is not an address of this computer. Use 127.0.0.1 (this "
                                "computer only) or 0.0.0.0 (every network interface).") from None
            raise UserError(f"Cannot listen on {host}:{port}: {exc.strerror or exc}.") from None


def _prepare_exports(folder: Path) -> Path:
    if folder.exists() and not folder.is_dir():
        raise UserError(f"--exports {folder} is an existing file, not a folder; choose another path.")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"Cannot create the export folder {folder}: {exc.strerror or exc}.") from None
    return folder.resolve()


def configure_solara(exports: Path | None = None, preset: str | None = None) -> Path:
    """Settings for a workshop server: production mode, no telemetry, no banner, offline assets.

    A session whose tab is gone is released after ``SESSION_RELEASE`` instead of Solara's 24 h.
    Environment variables are set before Solara is imported, since some settings are read then.
    Returns the server's own copy of the front-end files.
    """
    os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")
    os.environ["SOLARA_APP"] = APP
    os.environ.setdefault("SOLARA_THEME_SHOW_BANNER", "False")
    os.environ.setdefault("MPLBACKEND", "agg")
    if exports is not None:
        os.environ[ENV_EXPORTS] = str(exports)
    if preset is not None:
        os.environ[ENV_PRESET] = preset
    import solara.server.settings as server_settings

    from sim.dashboard.assets import use_offline_assets

    server_settings.main.mode = "production"
    server_settings.theme.show_banner = False
    server_settings.theme.title = "salesim workshop"
    server_settings.telemetry.mixpanel_enable = False
    server_settings.kernel.cull_timeout = SESSION_RELEASE
    return use_offline_assets()


def serve(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, exports: Path | None = None,
          preset: str | None = None, log_level: str = "warning", max_sessions: int = DEFAULT_MAX_SESSIONS,
          join: JoinCode | None = None) -> None:
    """Run the dashboard server in this thread until it is stopped (Ctrl+C).

    Args:
        host, port: where to listen.
        exports: folder for exported slides.
        preset: scenario to open with.
        log_level: uvicorn's log level.
        max_sessions: browser tabs at once (see :mod:`sim.dashboard.guard`).
        join: the join code, or None for none.
    """
    cdn_dir = configure_solara(exports, preset)
    import warnings

    import uvicorn

    from sim.dashboard.guard import GuardSettings, wrap

    # Solara warns on every plain-http page load that it falls back to SameSite=Lax cookies: expected here.
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https")

    from solara.server.starlette import app as solara_app  # imported after configure_solara, on purpose

    app = wrap(solara_app, GuardSettings(cdn_dir=cdn_dir, port=port, max_sessions=max_sessions, join=join))
    config = uvicorn.Config(app, host=host, port=port, log_level=log_level,
                            access_log=False, lifespan="on", ws_ping_interval=20, ws_ping_timeout=60)
    uvicorn.Server(config).run()


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m sim.dashboard.cli ARGS`` behaves as ``salesim dashboard ARGS``.

    The parser is the ``salesim`` one with only this subcommand, so :mod:`sim.cli` (which imports
    this module) is not imported here and this file runs once.
    """
    return run_command_line(lambda: command_parser([add_dashboard]),
                            ["dashboard", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
