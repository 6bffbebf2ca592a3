"""``salesim dashboard``: start the workshop dashboard (a Solara app) on this computer.

Registered by :func:`add_dashboard` in the style of :mod:`sim.cli`. The server binds to
loopback unless ``--host`` says otherwise, serves its front-end files from the package (no
internet needed, see :mod:`sim.dashboard.assets`) and runs in Solara's production mode, so a
page never shows a traceback. ``python -m sim.dashboard.cli [--host H] [--port N]`` does the
same as ``salesim dashboard``.
"""

from __future__ import annotations

import argparse
import errno
import os
import socket
import sys
from collections.abc import Sequence
from pathlib import Path

from sim.errors import UserError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8765
DEFAULT_EXPORTS = Path("runs") / "dashboard-exports"
APP = "sim.dashboard.app:Page"
ENV_EXPORTS = "SALESIM_DASHBOARD_EXPORTS"
ENV_PRESET = "SALESIM_DASHBOARD_PRESET"


def _port(text: str) -> int:
    """A TCP port number from 1 to 65535, for --port."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number from 1 to 65535, got {text!r}") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be from 1 to 65535, got {value}")
    return value


def add_dashboard(sub: argparse._SubParsersAction) -> None:
    """Register ``salesim dashboard``."""
    p = sub.add_parser(
        "dashboard", help="start the workshop dashboard in the browser",
        description="Start the workshop dashboard: presets, levers, live charts, the book of business and "
                    "side-by-side runs, in a browser. Works without internet. Stop it with Ctrl+C.")
    p.add_argument("--host", default=DEFAULT_HOST,
                   help="address to listen on (default: 127.0.0.1, this computer only; 0.0.0.0 lets devices "
                        "on a trusted network connect)")
    p.add_argument("--port", type=_port, default=DEFAULT_PORT, help=f"port (default: {DEFAULT_PORT})")
    p.add_argument("--preset", default=None, help="scenario to open with (default: banner_mandate)")
    p.add_argument("--exports", type=Path, default=DEFAULT_EXPORTS,
                   help=f"folder for exported slides (default: {DEFAULT_EXPORTS})")
    p.set_defaults(func=cmd_dashboard)


def cmd_dashboard(args: argparse.Namespace) -> int:
    """Check the address, the preset and the export folder, then serve until Ctrl+C."""
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
    url = f"http://{_url_host(args.host)}:{args.port}/"
    print(f"Workshop dashboard: {url}  (Ctrl+C to stop)")
    if args.host in ("0.0.0.0", "::", ""):
        print("Listening on every network interface: devices on this network can open it at "
              f"http://<this computer's address>:{args.port}/. Do this on a trusted network only.")
    print(f"Exported slides go to {exports}")
    serve(args.host, args.port, exports=exports, preset=args.preset)
    return 0


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
                                f"Open http://{_url_host(host)}:{port}/ or stop it). Choose another port, "
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


def _url_host(host: str) -> str:
    if host in ("0.0.0.0", "", "::"):
        return "127.0.0.1"
    return f"[{host}]" if ":" in host else host


def configure_solara(exports: Path | None = None, preset: str | None = None) -> None:
    """Settings for a workshop server: production mode, no telemetry, no banner, offline assets.

    Environment variables are set before Solara is imported, since some settings are read then.
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
    use_offline_assets()


def serve(host: str = DEFAULT_HOST, port: int = DEFAULT_PORT, exports: Path | None = None,
          preset: str | None = None, log_level: str = "warning") -> None:
    """Run the dashboard server in this thread until it is stopped (Ctrl+C)."""
    configure_solara(exports, preset)
    import warnings

    import uvicorn

    # Solara warns on every plain-http page load that it falls back to SameSite=Lax cookies: expected here.
    warnings.filterwarnings("ignore", message="Cookies with samesite=none require https")

    config = uvicorn.Config("solara.server.starlette:app", host=host, port=port, log_level=log_level,
                            access_log=False, lifespan="on", ws_ping_interval=20, ws_ping_timeout=60)
    uvicorn.Server(config).run()


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m sim.dashboard.cli ARGS`` behaves as ``salesim dashboard ARGS``."""
    from sim import cli

    return cli.main(["dashboard", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
