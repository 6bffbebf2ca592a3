"""The room's web server: small HTML pages, one script and one style sheet, and JSON endpoints (Starlette).

Pages (plain HTML and vanilla JS from ``static/``, nothing from the internet):

- ``/``                 join: room code and table name (``?code=K7QRM`` fills the code)
- ``/table``            a table's screen: levers, prediction, lock, its quarters, the leaderboard
- ``/host?key=KEY``     the facilitator's screen (the key is printed when the server starts)
- ``/host/room/CODE``   one room for the facilitator: who has locked, advance, leaderboard
- ``/board/CODE``       the leaderboard for the projector
- ``/debrief/CODE``     each table's choices against its outcomes and predictions (facilitator)

JSON endpoints under ``/api/`` answer the pages; every refusal is ``{"error": ..., "errors": {field: ...}}``
with status 400 (bad value), 403 (not yours), 404 (no such room) or 409 (not now). A table is
known by a cookie holding its room code and a token (its hash is stored), so a closed browser or a
restarted server finds the table again; a table that lost its cookie rejoins by typing its name.
"""

from __future__ import annotations

import html
import json
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from sim.errors import UserError
from sim.room.engine import OUTCOMES
from sim.room.service import DEFAULT_LEVERS, DEFAULT_PREDICT, Refused, RoomService, room_levers
from sim.room.settings import POLL_MS
from sim.scenario import list_scenarios

log = logging.getLogger("salesim.room")

STATIC = Path(__file__).resolve().parent / "static"
TABLE_COOKIE = "salesim-room-table"
HOST_COOKIE = "salesim-room-host"
COOKIE_DAYS = 2  # a workshop day and the next, for a debrief
MAX_BODY = 16_384  # bytes; a table's whole choice is a few hundred
Handler = Callable[[Request], Awaitable[Response]]


def page(title: str, name: str, **data: Any) -> HTMLResponse:
    """A page shell: the script draws ``name`` from the JSON endpoints; ``data`` goes into data-* attributes."""
    attrs = "".join(f' data-{k.replace("_", "-")}="{html.escape(str(v))}"' for k, v in data.items())
    return HTMLResponse(
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f'<title>{html.escape(title)}</title><link rel="stylesheet" href="/static/room.css"></head>'
        f'<body><main id="app" data-page="{name}" data-poll-ms="{POLL_MS.default}"{attrs}>'
        '<p class="muted">Loading…</p></main><script src="/static/room.js"></script></body></html>',
        headers={"Cache-Control": "no-store"},
    )


def refusal(exc: Refused | UserError) -> JSONResponse:
    errors = getattr(exc, "errors", {})
    status = getattr(exc, "status", 400)
    return JSONResponse({"error": str(exc), "errors": errors}, status_code=status)


def guarded(fn: Handler) -> Handler:
    """A handler whose refusals become JSON answers with a message, never a traceback."""

    async def wrapper(request: Request) -> Response:
        try:
            return await fn(request)
        except (Refused, UserError) as exc:
            return refusal(exc)
        except Exception as exc:  # a bug: log it for the facilitator's terminal, one line for the page
            log.exception("room request failed")
            return JSONResponse(
                {
                    "error": f"Something went wrong on the server ({type(exc).__name__}); nothing was changed.",
                    "errors": {},
                },
                status_code=500,
            )

    return wrapper


async def body(request: Request) -> dict[str, Any]:
    """The request's JSON object (refused if not JSON, not an object, or too big)."""
    raw = await request.body()
    if len(raw) > MAX_BODY:
        raise Refused(f"The request is {len(raw):,} bytes; at most {MAX_BODY:,} are accepted.", status=413)
    # The media type itself, not a substring: "text/plain; x=application/json" is a type another site's page
    # may send without asking the server first.
    if request.headers.get("content-type", "").split(";")[0].strip().lower() != "application/json":
        raise Refused("Send the form as JSON (Content-Type: application/json).", status=415)
    try:
        data = json.loads(raw or b"{}")
    except ValueError:
        raise Refused("The request is not valid JSON.") from None
    if not isinstance(data, dict):
        raise Refused("The request must be a JSON object.")
    return data


def build_app(service: RoomService) -> Starlette:
    """The Starlette app serving ``service``'s rooms."""

    def host_ok(request: Request) -> bool:
        return service.is_facilitator(request.cookies.get(HOST_COOKIE))

    def need_host(request: Request) -> None:
        if not host_ok(request):
            raise Refused(
                "Only the facilitator can do this: open the facilitator link printed when the server started.",
                status=403,
            )

    def table_of(request: Request) -> tuple[Any, int, str]:
        cookie = request.cookies.get(TABLE_COOKIE, "")
        code, _, token = cookie.partition(".")
        found = service.table_of(code, token) if token else None
        if found is None:
            raise Refused(
                "This browser has not joined a room yet (or joined another): join with the room code "
                "and your table's name.",
                status=403,
            )
        return found

    # --- pages ---------------------------------------------------------------------------------
    async def join_page(request: Request) -> Response:
        return page("Join the room", "join", code=request.query_params.get("code", "")[:12])

    async def table_page(request: Request) -> Response:
        if not request.cookies.get(TABLE_COOKIE):
            return RedirectResponse("/", status_code=303)
        return page("Your table", "table")

    async def host_page(request: Request) -> Response:
        key = request.query_params.get("key")
        if key is not None:
            if not service.is_facilitator(key):
                return HTMLResponse(
                    _notice(
                        "That facilitator key is not this server's. Use the link 'salesim "
                        "room' printed when it started."
                    ),
                    status_code=403,
                )
            redirect = RedirectResponse("/host", status_code=303)
            redirect.set_cookie(HOST_COOKIE, key, max_age=COOKIE_DAYS * 86400, httponly=True, samesite="lax")
            return redirect
        if not host_ok(request):
            return HTMLResponse(
                _notice(
                    "This is the facilitator's page: open the link 'salesim room' printed when "
                    "it started. Tables join at the start page."
                ),
                status_code=403,
            )
        return page("Facilitator", "host")

    async def host_room_page(request: Request) -> Response:
        if not host_ok(request):
            return RedirectResponse("/host", status_code=303)
        return page("Facilitator: room", "host-room", code=request.path_params["code"])

    async def board_page(request: Request) -> Response:
        return page("Leaderboard", "board", code=request.path_params["code"])

    async def debrief_page(request: Request) -> Response:
        if not host_ok(request):
            return RedirectResponse("/host", status_code=303)
        return page("Debrief", "debrief", code=request.path_params["code"])

    # --- tables' endpoints -----------------------------------------------------------------------
    @guarded
    async def api_join(request: Request) -> Response:
        data = await body(request)
        room, table, name, token, new = service.join(data.get("code", ""), data.get("name", ""))
        response = JSONResponse({"code": room.code, "table": table, "name": name, "new": new})
        response.set_cookie(
            TABLE_COOKIE, f"{room.code}.{token}", max_age=COOKIE_DAYS * 86400, httponly=True, samesite="lax"
        )
        return response

    @guarded
    async def api_table(request: Request) -> Response:
        room, table, name = table_of(request)
        return JSONResponse(service.table_state(room, table, name))

    @guarded
    async def api_table_save(request: Request) -> Response:
        room, table, name = table_of(request)
        data = await body(request)
        levers = data.get("levers", {})
        if not isinstance(levers, dict):
            raise Refused("'levers' must map each lever to its value.")
        service.save_policy(room, table, levers, data.get("prediction"), bool(data.get("lock", False)))
        return JSONResponse(service.table_state(service.room(room.code), table, name))

    @guarded
    async def api_board(request: Request) -> Response:
        return JSONResponse(service.board_view(service.room(request.path_params["code"])))

    # --- facilitator's endpoints ---------------------------------------------------------------------
    @guarded
    async def api_host(request: Request) -> Response:
        need_host(request)
        rooms = [
            {
                "code": r.code,
                "title": r.title,
                "quarter": r.quarter,
                "quarters_max": r.quarters_max,
                "tables": len(service.store.tables(r.code)),
                "finished": r.finished,
            }
            for r in service.store.rooms()
        ]
        return JSONResponse(
            {
                "presets": [{"name": s.name, "title": s.title} for s in list_scenarios()],
                "levers": [
                    {"name": lv.name, "label": lv.label, "section": lv.section, "default": lv.name in DEFAULT_LEVERS}
                    for lv in room_levers()
                ],
                "outcomes": [{"name": k, "label": v[0], "default": k == DEFAULT_PREDICT} for k, v in OUTCOMES.items()],
                "rooms": rooms,
                "default_preset": service.default_preset,
                "tables_max": service.tables_max,
                "quarters_max": service.quarters_max,
            }
        )

    @guarded
    async def api_create(request: Request) -> Response:
        need_host(request)
        data = await body(request)
        levers = data.get("levers", [])
        if not isinstance(levers, list):
            raise Refused("'levers' must be a list of lever names.", {"levers": "not a list"})
        room = service.create_room(
            str(data.get("preset", "")),
            levers,
            str(data.get("predict", DEFAULT_PREDICT)),
            data.get("seed", 1),
            str(data.get("title", "")),
        )
        service.prepare(room.code)
        return JSONResponse({"code": room.code})

    @guarded
    async def api_host_room(request: Request) -> Response:
        need_host(request)
        return JSONResponse(service.host_state(service.room(request.path_params["code"])))

    @guarded
    async def api_advance(request: Request) -> Response:
        need_host(request)
        room = service.room(request.path_params["code"])
        data = await body(request)
        quarter = data.get("quarter")
        if not isinstance(quarter, int) or isinstance(quarter, bool):
            raise Refused('Say which quarter to play: {"quarter": N}.', {"quarter": "missing"})
        played = await service.advance(room.code, quarter)
        return JSONResponse({**service.host_state(service.room(room.code)), "played": played})

    @guarded
    async def api_close(request: Request) -> Response:
        need_host(request)
        room = service.room(request.path_params["code"])
        service.close_room(room.code)
        return JSONResponse(service.host_state(service.room(room.code)))

    @guarded
    async def api_debrief(request: Request) -> Response:
        need_host(request)
        return JSONResponse(service.debrief(service.room(request.path_params["code"])))

    async def readyz(request: Request) -> Response:
        return PlainTextResponse("ok")

    async def favicon(request: Request) -> Response:
        return Response(status_code=204)

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        service.pool.warm()
        yield
        service.pool.close()
        service.store.close()

    routes = [
        Route("/", join_page),
        Route("/table", table_page),
        Route("/host", host_page),
        Route("/host/room/{code}", host_room_page),
        Route("/board/{code}", board_page),
        Route("/debrief/{code}", debrief_page),
        Route("/readyz", readyz),
        Route("/favicon.ico", favicon),
        Route("/api/join", api_join, methods=["POST"]),
        Route("/api/table", api_table),
        Route("/api/table", api_table_save, methods=["POST"]),
        Route("/api/board/{code}", api_board),
        Route("/api/host", api_host),
        Route("/api/host/rooms", api_create, methods=["POST"]),
        Route("/api/host/rooms/{code}", api_host_room),
        Route("/api/host/rooms/{code}/advance", api_advance, methods=["POST"]),
        Route("/api/host/rooms/{code}/close", api_close, methods=["POST"]),
        Route("/api/host/rooms/{code}/debrief", api_debrief),
        Mount("/static", StaticFiles(directory=STATIC), name="static"),
    ]
    return Starlette(routes=routes, lifespan=lifespan)


def _notice(text: str) -> str:
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>salesim room</title>'
        f'<link rel="stylesheet" href="/static/room.css"></head><body><main><p class="notice">'
        f'{html.escape(text)}</p><p><a href="/">Join a room</a></p></main></body></html>'
    )
