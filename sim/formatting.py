"""Every number shown to people, formatted one way: the report, the dashboard, plots and reports.

Plain functions of a value, no imports from the rest of ``sim``, so any module may use them:

- :func:`money` and :func:`number`: three significant figures with a k / M / G suffix (6.82M, 45.6k);
- :func:`percent`: a fraction as a percentage (12.3 %), a signed one in percentage points (+1.2 pp);
- :func:`count`: whole numbers with thousands separators (1,234); :func:`weeks`: 4.2 weeks;
- :func:`score`: a score to one decimal (NPS); :func:`plain`: a number as someone would type it;
- :func:`value`, :func:`interval` and :func:`estimate`: any of these by the name a KPI declares
  (:data:`FORMATS`), signed for differences, with a 95 % interval in brackets.

A missing value (None, NaN, infinity, text that is no number) is a dash, :data:`DASH`, never 0;
negative numbers carry the typographic minus (:data:`MINUS`).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

DASH = "–"  # a value that does not exist (the events it measures never happened)
MINUS = "\u2212"
_SUFFIXES = ((1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"))


def finite(value: Any) -> float | None:
    """The value as a finite float, or None for missing values (None, NaN, infinities, non-numbers)."""
    if isinstance(value, bool):
        return float(value)
    try:
        v = float(value)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _sign(v: float, signed: bool) -> str:
    """The sign to write: the typographic minus for negatives, '+' for positives of a signed value."""
    if v < 0:
        return MINUS
    return "+" if signed and v > 0 else ""


def _short(a: float, digits: int) -> str:
    """A non-negative number to ``digits`` significant figures with a k / M / G / T suffix."""
    rounded = float(f"{a:.{digits}g}")  # 999,999 rounds to 1e6 first, so it reads 1M, not 1e+03k
    for size, suffix in _SUFFIXES:
        if rounded >= size:
            return f"{rounded / size:.{digits}g}{suffix}"
    return f"{rounded:.{digits}g}"


def number(value: Any, signed: bool = False, digits: int = 3) -> str:
    """A number to three significant figures, large ones shortened: 4.17, 1.23k, 6.82M."""
    v = finite(value)
    if v is None:
        return DASH
    return _sign(v, signed) + _short(abs(v), digits)


def money(value: Any, signed: bool = False, digits: int = 3) -> str:
    """An amount of money, short: 6.82M, 45.6k, 120 (the currency is whatever the parameters are in)."""
    return number(value, signed, digits)


def _percent_decimals(x: float) -> int:
    """Decimals that keep two significant figures of a small percentage (0.047 -> 3), one otherwise."""
    if x == 0 or abs(x) >= 1:
        return 1
    return min(4, 1 - math.floor(math.log10(abs(x))))


def percent(value: Any, signed: bool = False, decimals: int | None = None) -> str:
    """A fraction as a percentage (0.123 -> '12.3 %'); signed, a difference in points ('+1.2 pp').

    ``decimals`` None keeps two significant figures of small percentages and one decimal otherwise.
    """
    v = finite(value)
    if v is None:
        return DASH
    x = v * 100
    d = _percent_decimals(x) if decimals is None else decimals
    text = f"{abs(x):.{d}f}"
    sign = _sign(x, signed) if float(text) != 0 else ""
    return f"{sign}{text} {'pp' if signed else '%'}"


def change(value: Any, signed: bool = True) -> str:
    """A relative change as a signed percentage (0.09 -> '+9.0 %'): a ratio minus one, not points."""
    v = finite(value)
    if v is None:
        return DASH
    x = v * 100
    text = f"{abs(x):.{_percent_decimals(x)}f}"
    return f"{_sign(x, True) if float(text) != 0 else ''}{text} %"


def count(value: Any, signed: bool = False) -> str:
    """A whole number with thousands separators: 1,234."""
    v = finite(value)
    if v is None:
        return DASH
    text = f"{abs(v):,.0f}"
    return (_sign(v, signed) if text != "0" else "") + text


def weeks(value: Any, signed: bool = False) -> str:
    """A duration in weeks to one decimal: '4.2 weeks'."""
    v = finite(value)
    if v is None:
        return DASH
    text = f"{abs(v):.1f}"
    return f"{_sign(v, signed) if float(text) != 0 else ''}{text} weeks"


def score(value: Any, signed: bool = False, decimals: int = 1) -> str:
    """A score (the net promoter score, -100 to 100) to one decimal: '32.5', '+3.2'."""
    v = finite(value)
    if v is None:
        return DASH
    text = f"{abs(v):.{decimals}f}"
    return (_sign(v, signed) if float(text) != 0 else "") + text


def plain(value: Any) -> str:
    """A number as someone would type it: thousands separators, no needless decimals (1,000 / 0.5 / 12.5).

    Infinity is 'no limit' (an unbounded range); this is the form lever boxes show and read back.
    """
    if isinstance(value, bool):
        return str(value)
    x = float(value)
    if math.isnan(x):
        return DASH
    if math.isinf(x):
        return "no limit" if x > 0 else "-no limit"
    if x.is_integer():
        return f"{int(x):,}"
    return f"{x:,.4g}" if abs(x) < 1000 else f"{x:,.0f}"


def duration(seconds: Any) -> str:
    """Elapsed time: '12.3 s', or '4 min 05 s'."""
    s = finite(seconds)
    if s is None:
        return DASH
    return f"{s:.1f} s" if s < 60 else f"{int(s // 60)} min {int(s % 60):02d} s"


# Display formats a KPI or weekly series may declare (sim.kpis), by name.
FORMATS: dict[str, Callable[..., str]] = {
    "money": money, "percent": percent, "number": number, "count": count, "weeks": weeks, "score": score,
    "change": change,
}


def value(x: Any, fmt: str, signed: bool = False) -> str:
    """``x`` in the display format ``fmt`` (a key of :data:`FORMATS`); ``signed`` for a difference."""
    return FORMATS[fmt](x, signed=signed)


def interval(low: Any, high: Any, fmt: str, signed: bool = False) -> str:
    """'[low, high]' in the display format, e.g. a 95 % interval."""
    return f"[{value(low, fmt, signed)}, {value(high, fmt, signed)}]"


def estimate(x: Any, low: Any, high: Any, fmt: str, signed: bool = False) -> str:
    """A value with its interval: '6.82M [6.71M, 6.93M]', or for a difference '−5.2 pp [−6.0 pp, −4.4 pp]'."""
    return f"{value(x, fmt, signed)} {interval(low, high, fmt, signed)}"


def tick(fmt: str, signed: bool = False) -> Callable[[float, Any], str]:
    """An axis tick labeller ``(value, position) -> text`` for matplotlib's FuncFormatter.

    Ticks are compact: percentages and points without needless decimals ('10 %', '+2.5 pp'), others short.
    """

    def label(v: float, _pos: Any = None) -> str:
        if abs(v) < 1e-12:
            return "0"
        if fmt == "percent":
            return number(v * 100, signed) + (" pp" if signed else " %")
        return number(v, signed)

    return label
