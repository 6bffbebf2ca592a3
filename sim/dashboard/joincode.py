"""The optional join code: a short word the trainer writes on the board, needed to open the dashboard.

When a code is set (``--join-code`` or ``SALESIM_DASHBOARD_JOIN_CODE``), a browser opens
``http://HOST:PORT/?code=CODE`` once; the server answers with a cookie and every later page,
file and websocket carries it. The cookie holds a keyed hash of the code under a secret that
lives only in this server process, never the code itself, so restarting the server makes old
cookies useless while the code keeps working. :mod:`sim.dashboard.guard` enforces it.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from sim.errors import UserError

ENV_JOIN_CODE = "SALESIM_DASHBOARD_JOIN_CODE"
COOKIE = "salesim-join"
QUERY = "code"
_PATTERN = re.compile(r"[A-Za-z0-9_-]{4,64}")


def check_code(code: str, source: str = "--join-code") -> str:
    """Return ``code`` if it can be a join code, else raise a UserError saying what is allowed.

    A code is 4 to 64 letters, digits, ``-`` or ``_``, so it can be typed and put in a URL as is.

    Args:
        code: the code as given.
        source: where it came from, for the message (``--join-code`` or the environment variable).
    """
    if not _PATTERN.fullmatch(code):
        fix = "e.g. --join-code room-42" if source == "--join-code" else f"or unset {source}"
        raise UserError(f"{source} {code!r} is not a usable join code: use 4 to 64 letters, digits, "
                        f"'-' or '_' ({fix}).")
    return code


class JoinCode:
    """A join code and the cookie value that proves a browser typed it."""

    def __init__(self, code: str, source: str = "--join-code") -> None:
        self.code = check_code(code, source)
        self._secret = secrets.token_bytes(32)
        self.token = hmac.new(self._secret, self.code.encode(), hashlib.sha256).hexdigest()

    def matches(self, typed: str | None) -> bool:
        """Whether ``typed`` (from ``?code=``) is the code."""
        return typed is not None and hmac.compare_digest(typed.encode(), self.code.encode())

    def admits(self, cookie: str | None) -> bool:
        """Whether a cookie value was issued by this server for this code."""
        return cookie is not None and hmac.compare_digest(cookie.encode(), self.token.encode())

    def set_cookie_header(self) -> str:
        """The ``Set-Cookie`` value that admits this browser from now on (this server's lifetime)."""
        return f"{COOKIE}={self.token}; Path=/; HttpOnly; SameSite=Lax"
