"""An ASGI middleware in front of Solara's app: it refuses what the dashboard must never let through.

Solara's server is built for trusted deployments; a workshop room is not one. :class:`Guard`
wraps ``solara.server.starlette.app`` and, before Solara sees a request:

- refuses any ``/_solara/cdn/`` path that does not name one front-end file inside the
  server's copy (a folder, a dot segment, an encoded ``%``, a backslash): Solara's CDN proxy
  deletes whatever folder such a path names (``cdn_helper.get_path``);
- refuses a websocket whose ``Origin`` is not the dashboard's own address (another site's page
  in the same browser, or a DNS-rebound name), with HTTP 403;
- with a join code set, admits a page, a file or a websocket only with the code's cookie
  (``/readyz``, which says only "ok", stays open);
- refuses a new session when ``max_sessions`` are live, with a "the room is full" page;
- answers ``POST /_solara/api/close/...`` with 400/403/404 instead of Solara's 500 when the
  request does not name a live page of the caller's own session.

Everything else goes to Solara unchanged. Build it with :func:`wrap`.
"""

from __future__ import annotations

import ipaddress
import logging
import socket
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from starlette.requests import HTTPConnection
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response

from sim.dashboard import notices
from sim.dashboard.joincode import COOKIE, QUERY, JoinCode

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

CDN_PREFIX = "/_solara/cdn"
CLOSE_PREFIX = "/_solara/api/close/"
KERNEL_PREFIX = "/jupyter/api/kernels/"
SESSION_COOKIE = "solara-session-id"  # solara.server.server.COOKIE_KEY_SESSION_ID
SESSION_COOKIE_LAX = "solara-session-id-lax"
# Paths that are files or APIs, not pages: a full room still serves them to the sessions it has.
NOT_PAGES = ("/_solara/", "/static/", "/jupyter/", "/readyz", "/resourcez", "/favicon")

log = logging.getLogger("salesim.dashboard.guard")


@dataclass(frozen=True)
class GuardSettings:
    """What the guard enforces.

    Attributes:
        cdn_dir: the folder Solara's CDN proxy serves from (the server's own copy).
        port: the TCP port the dashboard listens on; a websocket's Origin must name it.
        max_sessions: live sessions (browser tabs) at most; a new one beyond is refused.
        join: the join code, or None for an open dashboard.
    """

    cdn_dir: Path
    port: int
    max_sessions: int
    join: JoinCode | None = None


def cdn_refusal(folder: Path, path: str) -> int | None:
    """The status (400 or 404) that refuses a ``/_solara/cdn`` request path, or None to serve it.

    Only a path naming one regular file under ``folder`` is served. A dot segment, an empty
    segment (a trailing or doubled slash), a ``%`` left after decoding (double encoding), a
    backslash or a NUL is 400; a folder, a bare package name or a missing file is 404.

    Args:
        folder: the served front-end folder.
        path: the decoded request path (the ASGI scope's ``path``), starting with ``/_solara/cdn``.
    """
    rest = path[len(CDN_PREFIX):]
    if not rest.startswith("/") or rest == "/":
        return 404
    rest = rest[1:]
    if any(c in rest for c in "%\\\x00"):
        return 400
    segments = rest.split("/")
    if any(s in ("", ".", "..") for s in segments):
        return 400
    if len(segments) < 2:
        return 404  # Solara would look for PACKAGE/__main.js, a path that can be a folder
    target = folder.joinpath(*segments)
    try:
        if target.is_symlink() or not target.is_file():
            return 404
    except OSError:  # e.g. a name too long for the file system
        return 404
    return None


def _dot_segments(path: str) -> bool:
    return any(s in (".", "..") for s in path.split("/")) or "\\" in path or "\x00" in path


def _host_port(netloc: str, default_port: int) -> tuple[str, int] | None:
    """``(hostname, port)`` of ``host[:port]`` (``[v6]:port`` too), lower case; None if malformed."""
    try:
        parts = urlsplit(f"//{netloc}")
        return (parts.hostname or "").lower(), parts.port or default_port
    except ValueError:
        return None


def _is_loopback(hostname: str) -> bool:
    if hostname == "localhost" or hostname.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False


def _machine_names() -> frozenset[str]:
    """This computer's own names, which a browser in the room may use in the address bar."""
    name = socket.gethostname().lower()
    names = {"localhost", name, f"{name}.local", socket.getfqdn().lower()}
    return frozenset(n for n in names if n)


def own_origin(origin: str | None, host: str | None, port: int, names: frozenset[str]) -> bool:
    """Whether a websocket's ``Origin`` is the dashboard's own page.

    The Origin must be ``http(s)://H:port`` for the dashboard's port, with ``H`` an IP address
    or one of this computer's ``names`` (a DNS-rebound name is neither), and ``H:port`` must
    be the address the request was sent to (its Host header); two loopback forms of the same
    port (``localhost`` and ``127.0.0.1``) count as the same.

    Args:
        origin: the Origin header, None when missing (then refused).
        host: the Host header.
        port: the dashboard's port.
        names: this computer's names.
    """
    if not origin or not host:
        return False
    try:
        parts = urlsplit(origin)
        scheme, hostname, origin_port = parts.scheme, (parts.hostname or "").lower(), parts.port
    except ValueError:
        return False
    if scheme not in ("http", "https") or not hostname or parts.path not in ("", "/"):
        return False
    origin_port = origin_port or (443 if scheme == "https" else 80)
    target = _host_port(host, 443 if scheme == "https" else 80)
    if target is None or origin_port != port or target[1] != port:
        return False
    try:
        ipaddress.ip_address(hostname)
    except ValueError:
        if hostname not in names:
            return False
    return hostname == target[0] or (_is_loopback(hostname) and _is_loopback(target[0]))


def live_sessions() -> int:
    """Solara kernel contexts (one per open or recently closed tab) that are not closed."""
    from solara.server import kernel_context

    return sum(1 for c in list(kernel_context.contexts.values()) if not c.closed_event.is_set())


def _session_exists(kernel_id: str) -> bool:
    from solara.server import kernel_context

    context = kernel_context.contexts.get(kernel_id)
    return context is not None and not context.closed_event.is_set()


class Guard:
    """The middleware; see the module docstring for what it refuses."""

    def __init__(self, app: ASGIApp, settings: GuardSettings) -> None:
        self.app = app
        self.settings = settings
        self.names = _machine_names()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            response = self._check_http(scope)
        elif scope["type"] == "websocket":
            reason = self._check_websocket(scope)
            if reason is not None:
                log.warning("refused websocket %s: %s", scope.get("path"), reason)
                await receive()  # websocket.connect; closing before accepting answers HTTP 403
                await send({"type": "websocket.close", "code": 1008, "reason": reason[:120]})
                return
            response = None
        else:
            response = None
        if response is not None:
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)

    # --- http --------------------------------------------------------------------------------------

    def _check_http(self, scope: Scope) -> Response | None:
        path: str = scope["path"]
        if _dot_segments(path):
            return _refused(400, "The path has '.' or '..' segments or a backslash.")
        if path == CDN_PREFIX or path.startswith(CDN_PREFIX + "/"):
            status = cdn_refusal(self.settings.cdn_dir, path)
            if status is not None:
                log.warning("refused %s (%d)", path, status)
                return _refused(status, "Only the dashboard's own front-end files are served here.")
        conn = HTTPConnection(scope)
        join = self.settings.join
        if join is not None and path != "/readyz":  # the liveness probe says only "ok"
            typed = conn.query_params.get(QUERY)
            if typed is not None:
                if not join.matches(typed):
                    return HTMLResponse(notices.join_page(wrong=True), status_code=403)
                rest = [(k, v) for k, v in parse_qsl(scope.get("query_string", b"").decode("latin-1"))
                        if k != QUERY]
                # "/" + lstrip: a path like //other.site must not become a redirect to another site
                target = "/" + path.lstrip("/") + (f"?{urlencode(rest)}" if rest else "")
                redirect = RedirectResponse(target, status_code=303)
                redirect.headers.append("set-cookie", join.set_cookie_header())
                return redirect
            if not join.admits(conn.cookies.get(COOKIE)):
                if _is_page(path):
                    return HTMLResponse(notices.join_page(wrong=False), status_code=403)
                return PlainTextResponse("The join code is needed.", status_code=403)
        if path.startswith(CLOSE_PREFIX):
            return self._check_close(scope, conn, path[len(CLOSE_PREFIX):])
        if scope.get("method") in ("GET", "HEAD") and _is_page(path):
            live = live_sessions()
            if live >= self.settings.max_sessions:
                return HTMLResponse(notices.room_full_page(live, self.settings.max_sessions), status_code=503,
                                    headers={"Retry-After": "15"})
        return None

    def _check_close(self, scope: Scope, conn: HTTPConnection, kernel_id: str) -> Response | None:
        """``POST /_solara/api/close/KERNEL?session_id=PAGE`` (the tab-close beacon), checked."""
        if scope.get("method") != "POST":
            return None  # Solara's router answers 405
        page_id = conn.query_params.get("session_id", "")
        if not kernel_id or "/" in kernel_id or not page_id:
            return PlainTextResponse("A close request names a session (/_solara/api/close/KERNEL?session_id=PAGE).",
                                     status_code=400)
        origin = conn.headers.get("origin")
        if origin is not None and not own_origin(origin, conn.headers.get("host"), self.settings.port, self.names):
            return PlainTextResponse("A close request must come from the dashboard's own page.", status_code=403)
        from solara.server import kernel_context

        context = kernel_context.contexts.get(kernel_id)
        if context is None or page_id not in context.page_status:
            return PlainTextResponse("No such session.", status_code=404)
        cookie = conn.cookies.get(SESSION_COOKIE) or conn.cookies.get(SESSION_COOKIE_LAX)
        if cookie != context.session_id:
            return PlainTextResponse("A session can only be closed by its own browser.", status_code=403)
        return None

    # --- websocket ---------------------------------------------------------------------------------

    def _check_websocket(self, scope: Scope) -> str | None:
        conn = HTTPConnection(scope)
        if not own_origin(conn.headers.get("origin"), conn.headers.get("host"), self.settings.port, self.names):
            return "the page is not the dashboard's own (Origin refused)"
        join = self.settings.join
        if join is not None and not join.admits(conn.cookies.get(COOKIE)):
            return "the join code is needed"
        path: str = scope["path"]
        if path.startswith(KERNEL_PREFIX):
            kernel_id = path[len(KERNEL_PREFIX):].split("/", 1)[0]
            if not _session_exists(kernel_id) and live_sessions() >= self.settings.max_sessions:
                return "the room is full"
        return None


def _is_page(path: str) -> bool:
    return not path.startswith(NOT_PAGES)


def _refused(status: int, reason: str) -> Response:
    return HTMLResponse(notices.refused_page(reason), status_code=status)


def wrap(app: ASGIApp, settings: GuardSettings) -> Guard:
    """Solara's ASGI ``app`` behind a :class:`Guard` with ``settings``."""
    return Guard(app, settings)
