"""Reference tables of every parameter, KPI, weekly series and churn cause, generated from their declarations.

The README's tables are this module's output, so they cannot drift from the code
(a test compares them).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from sim.kpis import CHURN_CAUSES, KPIS, WEEKLY
from sim.params import param_info


def _range(info) -> str:
    if info.choices:
        return " / ".join(f"`{c}`" for c in info.choices)
    if info.kind == "bool":
        return "on / off"
    if info.kind == "str":
        return "a folder"
    return f"{info.ge:g} – {info.le:g}"


def _default(value) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, str):
        return f"`{value}`"
    return f"{value:g}"


def params_markdown(group: str | None = None) -> str:
    """Markdown table of parameters (optionally one group: size, lever, behaviour, economics)."""
    rows = ["| parameter | group | default | range | unit | meaning | source |", "|---|---|---|---|---|---|---|"]
    for name, info in param_info().items():
        if group and info.group != group:
            continue
        rows.append(f"| `{name}` | {info.group} | {_default(info.default)} | {_range(info)} | {info.unit} "
                    f"| {info.help} | {info.source} |")
    return "\n".join(rows)


def sync_readme(path: Path) -> bool:
    """Rewrite the generated tables in a README in place; return whether anything changed."""
    text = path.read_text(encoding="utf-8")
    new = text
    tables = (("kpi-table", kpis_markdown()), ("weekly-table", weekly_markdown()),
              ("churn-cause-table", churn_causes_markdown()), ("parameter-table", params_markdown()))
    for tag, table in tables:
        block = f"<!-- {tag} -->\n{table}\n<!-- /{tag} -->"
        new = re.sub(rf"<!-- {tag} -->\n.*?\n<!-- /{tag} -->", _verbatim(block), new, flags=re.S)
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text


def _verbatim(text: str) -> Callable[[re.Match[str]], str]:
    """A re.sub replacement that inserts text as it is (no backslash escapes or group references)."""
    return lambda _m: text


def kpis_markdown() -> str:
    """Markdown table of every KPI with its unit, display format, direction, headline rank and definition."""
    rows = ["| KPI | label | unit | shown as | better | headline | definition |", "|---|---|---|---|---|---|---|"]
    for name, k in KPIS.items():
        rows.append(f"| `{name}` | {k.label} | {k.unit} | {k.fmt} | {k.direction} | {k.headline or ''} "
                    f"| {' '.join(k.doc.split())} |")
    return "\n".join(rows)


def weekly_markdown() -> str:
    """Markdown table of every column of the weekly table (``SalesModel.timeseries``)."""
    rows = ["| series | label | unit | kind | shown as | better |", "|---|---|---|---|---|---|"]
    for name, w in WEEKLY.items():
        rows.append(f"| `{name}` | {w.label} | {w.unit} | {w.kind} | {w.fmt} | {w.direction} |")
    return "\n".join(rows)


def churn_causes_markdown() -> str:
    """Markdown table of the churn causes with the colour every chart gives them."""
    rows = ["| cause | label | colour | weekly count | share KPI |", "|---|---|---|---|---|"]
    for c in CHURN_CAUSES:
        rows.append(f"| `{c.key}` | {c.label} | `{c.colour}` | `{c.count}` | `{c.share_kpi}` |")
    return "\n".join(rows)
