"""The dashboard's defences, against real servers and real Chromium, plus the bind decision.

Two servers run for the whole module (started together, stopped at the end): an open one with
``--max-sessions 1`` (one tab fills the room) and one with ``--join-code``. Requests go out
with ``http.client`` (so a path is sent exactly as written, encoded dots and all) and
websockets with the ``websockets`` client; pages load in Debian's Chromium through
``tests/dashboard_helpers.py``. Browser tests are skipped when Chromium or Playwright is
missing, unless SALESIM_REQUIRE_BROWSER=1."""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlsplit

import dashboard_helpers as dh
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from sim.dashboard import assets, binding, guard
from sim.dashboard.cli import SESSION_RELEASE
from sim.dashboard.cli import main as dashboard_main
from sim.dashboard.joincode import COOKIE, JoinCode, check_code
from sim.errors import UserError

JOIN = "room-42"
RELEASE_WAIT_S = 75.0  # a closed tab must free its session within a minute; this allows for a slow CI box


# --- where the dashboard listens (unit) ----------------------------------------------------------


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "::ffff:127.0.0.1", "localhost"])
def test_loopback_binds_are_quiet(host):
    bound = binding.classify(host)
    assert bound.loopback and not bound.every_interface
    assert binding.warning(bound, 8765) is None


@pytest.mark.parametrize("host", ["0.0.0.0", "0", "::", "::0", "0:0:0:0:0:0:0:0", ""])
def test_every_interface_binds_warn(host):
    bound = binding.classify(host)
    assert bound.every_interface and not bound.loopback and bound.url_host == "127.0.0.1"
    text = binding.warning(bound, 8765)
    assert text is not None and "every network interface" in text and "--join-code" in text


@pytest.mark.parametrize(("host", "shown"), [("192.168.1.20", "192.168.1.20"), ("10.0.0.7", "10.0.0.7"),
                                             ("fe80::1", "[fe80::1]"), ("2001:db8::5", "[2001:db8::5]")])
def test_lan_address_binds_warn_with_the_address(host, shown):
    bound = binding.classify(host)
    assert not bound.loopback and not bound.every_interface
    text = binding.warning(bound, 9000)
    assert text is not None and f"http://{shown}:9000/" in text and "trusted network" in text
    with_code = binding.warning(bound, 9000, join_code=True)
    assert with_code is not None and "trusted network" in with_code and "set --join-code" not in with_code


def test_a_name_that_does_not_resolve_is_not_taken_for_loopback():
    assert not binding.classify("no-such-host.invalid").loopback


# --- the guard's decisions (unit) ----------------------------------------------------------------


@pytest.fixture(scope="module")
def cdn_copy() -> Path:
    return assets.serving_copy()


@pytest.mark.parametrize(("path", "status"), [
    ("/_solara/cdn/requirejs@2.3.6/require.js", None),
    ("/_solara/cdn/@widgetti/solara-vuetify3-app@5.2.0/dist/main8.css", None),
    ("/_solara/cdn/font-awesome@4.5.0/css", 404),          # a folder: Solara's proxy would delete it
    ("/_solara/cdn/@widgetti/solara-vuetify3-app@5.2.0", 404),
    ("/_solara/cdn/somepkg@1.0", 404),                    # a bare package name
    ("/_solara/cdn/somepkg@1.0/", 400),                   # a trailing slash
    ("/_solara/cdn/font-awesome@4.5.0/css/", 400),
    ("/_solara/cdn/font-awesome@4.5.0//css", 400),
    ("/_solara/cdn/font-awesome@4.5.0/css/../css", 400),
    ("/_solara/cdn/font-awesome@4.5.0/./css", 400),
    ("/_solara/cdn/font-awesome@4.5.0/%2e%2e/x", 400),    # a % left after decoding: double encoding
    ("/_solara/cdn/font-awesome@4.5.0\\css", 400),
    ("/_solara/cdn/font-awesome@4.5.0/nope.css", 404),
    ("/_solara/cdn/font-awesome@4.5.0/" + "x" * 300, 404),  # too long a name for the file system
    ("/_solara/cdn/", 404),
    ("/_solara/cdn", 404),
])
def test_cdn_paths_that_name_anything_but_a_shipped_file_are_refused(cdn_copy, path, status):
    assert guard.cdn_refusal(cdn_copy, path) == status


def test_the_served_copy_is_not_the_package_folder_and_has_every_file(cdn_copy):
    assert assets.ASSET_DIR not in cdn_copy.parents and cdn_copy != assets.ASSET_DIR
    assert assets.shipped_files(cdn_copy) == assets.shipped_files()


NAMES = frozenset({"localhost", "trainer-laptop", "trainer-laptop.local"})


@pytest.mark.parametrize(("origin", "host", "ok"), [
    ("http://127.0.0.1:8765", "127.0.0.1:8765", True),
    ("http://localhost:8765", "localhost:8765", True),
    ("http://localhost:8765", "127.0.0.1:8765", True),     # two loopback spellings of the same port
    ("http://[::1]:8765", "[::1]:8765", True),
    ("http://192.168.1.20:8765", "192.168.1.20:8765", True),
    ("http://trainer-laptop.local:8765", "trainer-laptop.local:8765", True),
    ("http://evil.example:8765", "evil.example:8765", False),  # a DNS-rebound name
    ("http://evil.example", "127.0.0.1:8765", False),
    ("http://192.168.1.99:8765", "192.168.1.20:8765", False),  # another machine's page
    ("http://127.0.0.1:9999", "127.0.0.1:8765", False),         # another port on this machine
    ("https://127.0.0.1:8765", "127.0.0.1:8765", True),
    ("file://", "127.0.0.1:8765", False),
    ("null", "127.0.0.1:8765", False),
    (None, "127.0.0.1:8765", False),
    ("http://127.0.0.1:8765", None, False),
])
def test_websocket_origin_must_be_the_dashboards_own(origin, host, ok):
    assert guard.own_origin(origin, host, 8765, NAMES) is ok


def test_join_codes_are_checked_and_cookies_are_not_the_code():
    with pytest.raises(UserError, match="4 to 64 letters.*room-42"):
        check_code("a b")
    with pytest.raises(UserError):
        check_code("abc")
    join = JoinCode(JOIN)
    assert join.matches(JOIN) and not join.matches("room-43") and not join.matches(None)
    assert JOIN not in join.token and join.admits(join.token) and not join.admits(JOIN)
    assert not JoinCode(JOIN).admits(join.token)  # another server process, another secret


@pytest.mark.parametrize("argv", [["--join-code", "no spaces"], ["--max-sessions", "0"], ["--max-sessions", "x"]])
def test_bad_join_code_or_session_cap_exit_2_in_one_paragraph(argv, capsys):
    assert dashboard_main([*argv, "--port", str(dh.free_port())]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.strip().count("\n") == 0 and err.startswith("salesim: error:")


def test_join_code_from_the_environment_is_checked_too(capsys, monkeypatch):
    monkeypatch.setenv("SALESIM_DASHBOARD_JOIN_CODE", "x")
    assert dashboard_main(["--port", str(dh.free_port())]) == 2
    assert "SALESIM_DASHBOARD_JOIN_CODE" in capsys.readouterr().err


@pytest.mark.slow
def test_the_server_releases_closed_sessions_within_a_minute_and_serves_a_copy():
    """configure_solara in a fresh interpreter (it sets process-wide Solara settings)."""
    code = ("import solara.util; from sim.dashboard.cli import configure_solara; d = configure_solara(); "
            "import solara.server.settings as s; "
            "print(solara.util.parse_timedelta(s.kernel.cull_timeout)); print(s.assets.proxy_cache_dir)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "MPLBACKEND": "agg"}).stdout.split("\n")
    assert 0 < float(out[0]) <= 60 and solara_seconds(SESSION_RELEASE) == float(out[0])
    served = Path(out[1])
    assert assets.ASSET_DIR not in served.parents and served != assets.ASSET_DIR


def solara_seconds(text: str) -> float:
    import solara.util

    return float(solara.util.parse_timedelta(text))


# --- real servers ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    """An open server capped at 1 session and a server with a join code, both on loopback."""
    started = [dh.spawn_server(tmp_path_factory.mktemp("exports-open"), args=["--max-sessions", "1"]),
               dh.spawn_server(tmp_path_factory.mktemp("exports-join"), args=["--join-code", JOIN])]
    try:
        for proc, url in started:
            dh.wait_until_up(url + "readyz", proc)
        yield SimpleNamespace(open=started[0][1], joined=started[1][1])
    finally:
        for proc, _ in started:
            dh.stop_server(proc)


@pytest.fixture(scope="module")
def browser(servers):
    """Chromium, and one context for the open server (its cache keeps later page loads fast)."""
    sync_playwright = dh.browser_or_skip()
    with sync_playwright() as p:
        chromium = dh.launch(p)
        context = chromium.new_context(viewport={"width": 1400, "height": 900})
        yield SimpleNamespace(chromium=chromium, context=context)
        context.close()
        chromium.close()


def _request(base: str, path: str, method: str = "GET", headers: dict | None = None):
    """Send ``path`` exactly as written; return (status, headers, body text). No redirect is followed."""
    where = urlsplit(base)
    conn = http.client.HTTPConnection(where.hostname, where.port, timeout=30)
    try:
        conn.request(method, path, headers=headers or {})
        r = conn.getresponse()
        return r.status, r.headers, r.read().decode("utf-8", "replace")
    finally:
        conn.close()


def _tree_hash(folder: Path) -> str:
    digest = hashlib.sha256()
    for rel in assets.shipped_files(folder):
        digest.update(str(rel).encode() + b"\0" + (folder / rel).read_bytes())
    return digest.hexdigest()


def _live_sessions(base: str, headers: dict | None = None) -> int:
    status, _, body = _request(base, "/resourcez", headers=headers)
    assert status == 200
    return int(json.loads(body)["kernels"]["total"])


def _wait_for_sessions(base: str, at_most: int, headers: dict | None = None) -> None:
    deadline = time.monotonic() + RELEASE_WAIT_S
    while _live_sessions(base, headers) > at_most:
        assert time.monotonic() < deadline, f"sessions were not released within {RELEASE_WAIT_S:.0f} s"
        time.sleep(0.5)


def _ws_url(base: str, kernel_id: str | None = None) -> str:
    kernel_id = kernel_id or str(uuid.uuid4())
    return f"ws://{urlsplit(base).netloc}/jupyter/api/kernels/{kernel_id}/channels?session_id={uuid.uuid4()}"


def _ws_status(url: str, origin: str | None, cookie: str | None = None) -> int:
    """101 when the websocket opened (then closed again), else the refusal's HTTP status."""
    headers = {"Cookie": cookie} if cookie else None
    try:
        with connect(url, origin=origin, additional_headers=headers, open_timeout=15):
            return 101
    except InvalidStatus as exc:
        return exc.response.status_code


DELETING_PATHS = [
    "/_solara/cdn/somepkg@1.0/",
    "/_solara/cdn/font-awesome@4.5.0/css",
    "/_solara/cdn/font-awesome@4.5.0/css/",
    "/_solara/cdn/@widgetti/solara-vuetify3-app@5.2.0/dist",
    "/_solara/cdn/@widgetti/solara-vuetify3-app@5.2.0",
    "/_solara/cdn/requirejs@2.3.6/%2e%2e/font-awesome@4.5.0/css",
    "/_solara/cdn/requirejs@2.3.6/%2E%2E/font-awesome@4.5.0/fonts",
    "/_solara/cdn/requirejs@2.3.6/..%2ffont-awesome@4.5.0/css",
    "/_solara/cdn/requirejs@2.3.6/..%2Ffont-awesome@4.5.0%2Fcss",
    "/_solara/cdn/requirejs@2.3.6/%252e%252e/font-awesome@4.5.0/css",
    "/_solara/cdn/requirejs@2.3.6/%252e%252e%252ffont-awesome@4.5.0",
    "/_solara/cdn/font-awesome@4.5.0/css/../css",
    "/_solara/cdn/font-awesome@4.5.0%5ccss",
    "/_solara/cdn/font-awesome@4.5.0/./css",
    "/_solara/cdn/font-awesome@4.5.0//css",
    "/_solara/cdn/",
    "/_solara/cdn/..",
    "/_solara/cdn/%2e%2e",
    "/_solara/cdn/font-awesome@4.5.0/" + "x" * 300,
]


@pytest.mark.slow
def test_deleting_requests_are_refused_and_the_page_still_renders_offline(servers, browser):
    before = _tree_hash(assets.ASSET_DIR)
    answers = {path: _request(servers.open, path)[0] for path in DELETING_PATHS}
    assert all(status in (400, 404) for status in answers.values()), answers
    assert _tree_hash(assets.ASSET_DIR) == before
    for rel in assets.shipped_files():  # the server's copy is whole too: every file, byte for byte
        status, _, _ = _request(servers.open, f"/_solara/cdn/{rel.as_posix()}", "HEAD")
        assert status == 200, rel

    failed: list[str] = []
    page = browser.context.new_page()  # the first page of this context: every file comes from the server
    page.on("response", lambda r: failed.append(f"{r.status} {r.url}") if r.status >= 400 else None)
    page.goto(servers.open)
    page.wait_for_selector("img.img-book", timeout=60_000)
    assert "Banner close-rate mandate" in page.locator(".preset-header").inner_text()
    assert failed == [], failed
    page.screenshot(path=_artifact("security-01-after-deleting-requests.png"))
    page.close()


def _artifact(name: str) -> Path:
    dh.ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return dh.ARTIFACTS / name


@pytest.mark.slow
def test_websockets_from_foreign_origins_are_refused(servers):
    base = servers.open
    own = f"http://{urlsplit(base).netloc}"
    for origin in ("http://evil.example", f"http://evil.example:{urlsplit(base).port}", "http://127.0.0.1:1",
                   "null", None):
        assert _ws_status(_ws_url(base), origin) == 403, origin
    # the dashboard's own origin opens it, and the tab-close beacon of that session releases it
    _wait_for_sessions(base, 0)
    kernel_id, page_id, cookie = str(uuid.uuid4()), str(uuid.uuid4()), f"solara-session-id={uuid.uuid4()}"
    url = f"ws://{urlsplit(base).netloc}/jupyter/api/kernels/{kernel_id}/channels?session_id={page_id}"
    with connect(url, origin=own, additional_headers={"Cookie": cookie}, open_timeout=15):
        deadline = time.monotonic() + 30
        while _live_sessions(base) < 1:
            assert time.monotonic() < deadline
            time.sleep(0.2)
        close = f"/_solara/api/close/{kernel_id}?session_id={page_id}"
        assert _request(base, close, "POST", {"Origin": own})[0] == 403  # no cookie: not its browser
        assert _request(base, close, "POST", {"Origin": "http://evil.example", "Cookie": cookie})[0] == 403
        assert _request(base, close, "POST", {"Origin": own, "Cookie": cookie})[0] == 200
        assert _live_sessions(base) == 0


@pytest.mark.slow
@pytest.mark.parametrize(("path", "method", "status"), [
    ("/_solara/api/close/abc", "POST", 400),
    ("/_solara/api/close/abc?session_id=", "POST", 400),
    ("/_solara/api/close/abc?session_id=x", "POST", 404),
    ("/_solara/api/close/abc/def?session_id=x", "POST", 400),
    ("/_solara/api/close/abc?session_id=x", "GET", 404),  # no GET route: Solara says page not found
])
def test_close_requests_that_name_no_session_are_refused_cleanly(servers, path, method, status):
    assert _request(servers.open, path, method)[0] == status


@pytest.mark.slow
def test_a_full_room_says_so_and_a_closed_tab_frees_its_place(servers, browser):
    base = servers.open
    _wait_for_sessions(base, 0)
    tab = dh.open_dashboard(browser.context, base)  # the server takes one session: the room is now full
    assert _live_sessions(base) == 1

    status, headers, body = _request(base, "/")
    assert status == 503 and "The room is full" in body and "--max-sessions" in body and headers["Retry-After"]
    assert _ws_status(_ws_url(base), f"http://{urlsplit(base).netloc}") == 403  # no new session behind the page
    extra = browser.context.new_page()
    extra.goto(base)
    assert "The room is full" in extra.locator("h1").inner_text()
    extra.screenshot(path=_artifact("security-02-room-full.png"))
    extra.close()
    dh.step(tab)  # the session the room has keeps working
    assert dh.week(tab) == 1

    tab.close()
    _wait_for_sessions(base, 0)
    assert _request(base, "/")[0] == 200


@pytest.mark.slow
def test_join_code_is_needed_for_pages_files_and_websockets(servers, browser):
    base = servers.joined
    netloc = urlsplit(base).netloc
    status, _, body = _request(base, "/")
    assert status == 403 and 'name="code"' in body
    assert _request(base, "/?code=room-43")[0] == 403
    assert _request(base, "/_solara/cdn/requirejs@2.3.6/require.js")[0] == 403
    assert _request(base, "/resourcez")[0] == 403
    assert _ws_status(_ws_url(base), f"http://{netloc}") == 403

    status, headers, _ = _request(base, f"/?code={JOIN}&x=1")
    assert status == 303 and headers["Location"] == "/?x=1"
    assert _request(base, f"//evil.example/?code={JOIN}")[1]["Location"] == "/evil.example/"  # not off-site
    cookie = headers["Set-Cookie"].split(";", 1)[0]
    assert cookie.startswith(f"{COOKIE}=") and JOIN not in cookie and "HttpOnly" in headers["Set-Cookie"]
    assert _request(base, "/", headers={"Cookie": cookie})[0] == 200
    assert _request(base, "/", headers={"Cookie": f"{COOKIE}=forged"})[0] == 403

    context = browser.chromium.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.goto(f"{base}?code={JOIN}")  # once with the code; the page, its files and its websocket then use the cookie
    page.wait_for_selector("img.img-book", timeout=60_000)
    assert "code=" not in page.url
    context.close()
    _wait_for_sessions(base, 0, headers={"Cookie": cookie})
