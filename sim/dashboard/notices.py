"""The plain pages the dashboard's guard answers with instead of the app: join, room full, refused.

Each is a complete, small HTML page in the dashboard's wording, readable on a phone, with no
script and nothing fetched from elsewhere. :mod:`sim.dashboard.guard` decides when to send them.
"""

from __future__ import annotations

import html

_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
{head}<title>salesim workshop: {title}</title>
<style>body{{font-family:sans-serif;max-width:36em;margin:4em auto;padding:0 1em;line-height:1.5}}
input,button{{font-size:1.2em;padding:.3em .6em}}</style></head>
<body class="salesim-notice {css}"><h1>{title}</h1>{body}</body></html>
"""


def _page(title: str, body: str, css: str, head: str = "") -> str:
    return _PAGE.format(title=html.escape(title), body=body, css=css, head=head)


def join_page(wrong: bool) -> str:
    """Ask for the join code; ``wrong`` says the last code typed was not it."""
    hint = ("<p class=\"join-wrong\"><strong>That is not the code.</strong> Check it with the trainer.</p>"
            if wrong else "")
    body = (f"{hint}<p>This workshop dashboard needs the join code the trainer gave the room.</p>"
            "<form method=\"get\" action=\"/\"><label>Join code <input name=\"code\" autocomplete=\"off\" "
            "autofocus required></label> <button type=\"submit\">Join</button></form>")
    return _page("Join the workshop", body, "join")


def room_full_page(live: int, limit: int) -> str:
    """Say the room is full; the page retries by itself every 15 seconds."""
    body = (f"<p>The room is full: this dashboard already has {live} open sessions and takes at most "
            f"{limit}. Close a dashboard tab you no longer use (a closed tab frees its place within a "
            "minute), or ask the trainer to restart it with a larger <code>--max-sessions</code>.</p>"
            "<p>This page tries again every 15 seconds.</p>")
    return _page("The room is full", body, "room-full", head="<meta http-equiv=\"refresh\" content=\"15\">\n")


def refused_page(reason: str) -> str:
    """A short page for a refused request (a bad path, a foreign page)."""
    return _page("Request refused", f"<p>{html.escape(reason)}</p>", "refused")
