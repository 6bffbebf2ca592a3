"""Reference tables of every parameter and KPI, generated from their single declarations.

The README's tables are this module's output, so they cannot drift from the code
(a test compares them).
"""

from __future__ import annotations

import re
from pathlib import Path

from sim.kpis import KPIS
from sim.params import param_info


def _range(info) -> str:
    if info.choices:
        return " / ".join(f"`{c}`" for c in info.choices)
    if info.kind == "bool":
        return "on / off"
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
    for tag, table in (("kpi-table", kpis_markdown()), ("parameter-table", params_markdown())):
        block = f"<!-- {tag} -->\n{table}\n<!-- /{tag} -->"
        new = re.sub(rf"<!-- {tag} -->\n.*?\n<!-- /{tag} -->", lambda m, b=block: b, new, flags=re.S)
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text


def kpis_markdown() -> str:
    """Markdown table of every KPI with its unit and definition."""
    rows = ["| KPI | label | unit | definition |", "|---|---|---|---|"]
    for name, k in KPIS.items():
        rows.append(f"| `{name}` | {k.label} | {k.unit} | {' '.join(k.doc.split())} |")
    return "\n".join(rows)
