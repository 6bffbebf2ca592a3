"""The levers a workshop can move: plain-language labels and units on top of the parameter declarations.

Ranges, defaults, types and choices come from :func:`sim.params.param_info`; this module only
adds what a room of sales managers needs to read (a label, a unit, a scale such as fractions
shown as percentages, plain names for choices) and turns what someone typed into a validated
:class:`~sim.params.Params`, or into a one-sentence refusal that keeps the previous value.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import cache
from typing import Any

from pydantic import ValidationError

from sim import formatting as fm
from sim.params import ParamInfo, Params, param_info

# The live view redraws every account each frame; bigger units belong to `salesim run`.
MAX_ACCOUNTS = 20_000
MAX_SEED = 2**32 - 1


class LeverRefused(ValueError):
    """A value a user typed or picked that the model does not accept; the message says why."""


@dataclass(frozen=True)
class Lever:
    """One control on the page: which parameter, how it is labelled and shown.

    ``scale`` converts the model's value to the shown one (0.9 → 90 %); ``step`` is the
    slider step in shown units; ``choices`` maps each allowed value to a plain label.
    """

    name: str
    label: str
    section: str
    unit: str = ""
    scale: float = 1.0
    step: float = 1.0
    choices: tuple[tuple[str, str], ...] = ()
    hint: str = ""

    @property
    def info(self) -> ParamInfo:
        return param_info()[self.name]

    @property
    def kind(self) -> str:
        """``choice``, ``bool``, ``int`` or ``float`` (from the declaration)."""
        return self.info.kind

    @property
    def widget(self) -> str:
        """``select``, ``toggle``, ``number`` (typed only) or ``slider`` (with a box to type in)."""
        if self.kind == "choice":
            return "select"
        if self.kind == "bool":
            return "toggle"
        if self.section == SIZE_SECTION:
            return "number"
        return "slider"

    @property
    def help(self) -> str:
        return self.hint or self.info.help

    def bounds(self) -> tuple[float, float]:
        """Smallest and largest allowed value in shown units."""
        lo = self.info.ge if self.info.ge is not None else -math.inf
        hi = self.info.le if self.info.le is not None else math.inf
        if self.name == "n_accounts":
            hi = min(hi, MAX_ACCOUNTS)
        return self.shown(lo), self.shown(hi)

    def shown(self, value: Any) -> Any:
        """The model's value in shown units (a fraction becomes a percentage)."""
        if self.kind in ("choice", "bool") or self.scale == 1.0:
            return value
        return _tidy(float(value) * self.scale)

    def to_model(self, shown: float) -> Any:
        """A shown value back in the model's units, typed as the parameter is."""
        value = shown / self.scale if self.scale != 1.0 else shown
        if self.kind == "int":
            return int(round(value))
        return _tidy(float(value))

    def format(self, value: Any) -> str:
        """The model's value as a person reads it: '90 %', '1,000 per banner sale', 'On'."""
        if self.kind == "bool":
            return "On" if value else "Off"
        if self.kind == "choice":
            return self.choice_label(value)
        return f"{fm.plain(self.shown(value))}{_unit_suffix(self.unit)}"

    def choice_label(self, value: str) -> str:
        return dict(self.choices).get(value, str(value).replace("_", " "))

    def choice_value(self, label: str) -> str:
        """The choice whose plain label (or raw value) is ``label``."""
        for value, plain in self.choices:
            if label in (value, plain):
                return value
        if self.info.choices and label in self.info.choices:
            return label
        allowed = ", ".join(f"'{p}'" for _, p in self.choices)
        raise LeverRefused(f"{self.label}: '{label}' is not one of the options ({allowed}).")


SIZE_SECTION = "Team size"
PCT = "%"

LEVERS: tuple[Lever, ...] = (
    # --- the mandate ---------------------------------------------------------------
    Lever("banner_target", "Banner close-rate target", "Banner mandate", PCT, 100, 5,
          hint="Share of opened banner accounts that must close."),
    Lever("enforcement", "How hard managers enforce the target", "Banner mandate", PCT, 100, 5,
          hint="0 % = nobody is judged on the banner close rate; 100 % = reps are judged hard."),
    Lever("audits", "Audits that catch avoided banners", "Banner mandate", PCT, 100, 5,
          hint="Share of banner accounts a rep left unopened that a review detects."),
    Lever("crm_rule", "CRM rule that raises banners", "Banner mandate", choices=(
        ("none", "No banners"),
        ("spend_drop", "Spend dropped (naive)"),
        ("seasonality_aware", "Spend dropped beyond the season"),
        ("advocacy_aware", "Happy customers with room to grow"))),
    # --- pay ------------------------------------------------------------------------
    Lever("commission_rate", "Commission on deals", "Pay", "% of deal value", 100, 1),
    Lever("banner_bonus", "Bonus per banner sale", "Pay", "per banner sale", step=10),
    Lever("close_rate_bonus", "Bonus for hitting the close-rate target", "Pay", "per review", step=100),
    Lever("quota_bonus", "Lump-sum quota bonus", "Pay", "per quarter", step=500,
          hint="Paid when the quarterly deal quota is met."),
    Lever("retention_pay", "Pay per customer kept", "Pay", "per account a quarter", step=5),
    # --- management -----------------------------------------------------------------
    Lever("coaching_style", "Coaching question", "Management", choices=(
        ("close_focused", "\u201cWhen will this close?\u201d"),
        ("neutral", "Neutral"),
        ("customer_focused", "\u201cHow are you helping the customer?\u201d"))),
    Lever("one_on_one", "One-on-one coaching", "Management"),
    Lever("joins_calls", "Managers join customer calls", "Management"),
    Lever("feedback_loop", "Customer feedback loop", "Management", choices=(
        ("none", "None: only complaints"),
        ("survey", "Quarterly survey"),
        ("closed_loop", "Closed loop: fix the worst first, call back"))),
    Lever("detractor_policy", "Unhappy customers (detractors)", "Management", choices=(
        ("sell_to_all", "Pitch to everyone"),
        ("fix_first", "Fix first, no pitches"))),
    Lever("empowerment", "Reps may fix problems officially", "Management"),
    # --- customers and operations -----------------------------------------------------
    Lever("failure_rate", "Operations failures", "Customers and operations", "per 1,000 accounts a week",
          1000, 1, hint="New product, price or service problems operations create."),
    Lever("email_share", "Contacts made by e-mail", "Customers and operations", PCT, 100, 5,
          hint="An e-mail is worth less to a customer than a call or a visit."),
    # --- size -------------------------------------------------------------------------
    Lever("n_reps", "Sales reps", SIZE_SECTION, "reps"),
    Lever("n_managers", "Sales managers", SIZE_SECTION, "managers"),
    Lever("n_accounts", "Customer accounts", SIZE_SECTION, "accounts"),
)

SECTIONS: tuple[str, ...] = tuple(dict.fromkeys(lever.section for lever in LEVERS))


@cache
def levers_by_name() -> dict[str, Lever]:
    return {lever.name: lever for lever in LEVERS}


def lever(name: str) -> Lever:
    return levers_by_name()[name]


# --- turning input into parameters -----------------------------------------------------------


def parse_typed(lv: Lever, text: Any) -> Any:
    """What someone typed into a lever's box, in the model's units; refuses text that is no number."""
    if lv.kind == "bool":
        if isinstance(text, bool):
            return text
        word = str(text).strip().lower()
        if word in ("on", "true", "yes", "1"):
            return True
        if word in ("off", "false", "no", "0"):
            return False
        raise LeverRefused(f"{lv.label}: '{text}' is not On or Off.")
    if lv.kind == "choice":
        return lv.choice_value(str(text))
    number = read_number(lv.label, text, whole=lv.kind == "int" and lv.scale == 1.0)
    lo, hi = lv.bounds()
    if not lo <= number <= hi:
        raise LeverRefused(f"{lv.label}: {fm.plain(number)}{_unit_suffix(lv.unit)} is outside the allowed "
                           f"range {fm.plain(lo)} to {fm.plain(hi)}{_unit_suffix(lv.unit)}"
                           f"{_size_note(lv)}.")
    return lv.to_model(number)


def apply_change(params: Params, name: str, value: Any) -> Params:
    """``params`` with one lever changed, validated by Params; refuses with a plain message."""
    lv = levers_by_name().get(name)
    if lv is not None and lv.kind not in ("bool", "choice") and not isinstance(value, bool):
        lo, hi = lv.bounds()
        if isinstance(value, (int, float)) and not lo <= lv.shown(value) <= hi:
            raise LeverRefused(f"{lv.label}: {lv.format(value)} is outside the allowed range "
                               f"{fm.plain(lo)} to {fm.plain(hi)}{_unit_suffix(lv.unit)}{_size_note(lv)}.")
    try:
        return params.replace(**{name: value})
    except ValidationError as exc:
        raise LeverRefused(explain(exc, name)) from None


def parse_seed(text: Any) -> int:
    """A random seed typed into the page: a whole number from 0 to 2^32 - 1."""
    seed = read_number("Seed", text, whole=True)
    if not 0 <= seed <= MAX_SEED:
        raise LeverRefused(f"Seed: {fm.plain(seed)} is outside the allowed range 0 to {MAX_SEED:,}.")
    return int(seed)


def parse_week(text: Any, horizon: int) -> int:
    """A week to jump to: a whole number from 0 to the weeks shown."""
    week = read_number("Jump to week", text, whole=True)
    if not 0 <= week <= horizon:
        raise LeverRefused(f"Jump to week: {fm.plain(week)} is outside the weeks shown, 0 to {horizon}.")
    return int(week)


def explain(exc: ValidationError, name: str | None = None) -> str:
    """A pydantic error as one sentence in the page's words (labels instead of field names)."""
    parts = []
    for err in exc.errors():
        field = str(err["loc"][0]) if err["loc"] else ""
        lv = levers_by_name().get(field)
        msg = str(err.get("msg", "")).removeprefix("Value error, ")
        if lv is not None:
            parts.append(f"{lv.label}: {_plain_message(msg)}.")
        else:
            parts.append(f"{plain_names(msg)}.")
    text = " ".join(parts) or str(exc)
    return text.replace("..", ".")


def plain_names(text: str) -> str:
    """Replace parameter names in a message by their plain labels, and choice values by theirs."""
    for lv in LEVERS:
        text = re.sub(rf"\b{lv.name}\b", f"\u201c{lv.label}\u201d", text)
        for value, plain in lv.choices:
            text = text.replace(f"'{value}'", f"\u2018{plain}\u2019")
    return text


def changed_levers(params: Params, reference: Params) -> list[str]:
    """Names of the levers whose value differs from ``reference`` (e.g. the preset's)."""
    return [lv.name for lv in LEVERS if getattr(params, lv.name) != getattr(reference, lv.name)]


# --- formatting (numbers by sim.formatting.plain) -------------------------------------------------


def _unit_suffix(unit: str) -> str:
    if not unit:
        return ""
    return " %" if unit == PCT else f" {unit}"


def _size_note(lv: Lever) -> str:
    if lv.name == "n_accounts":
        return f" (the live dashboard shows at most {MAX_ACCOUNTS:,}; use 'salesim run' for bigger units)"
    return ""


def _plain_message(msg: str) -> str:
    msg = msg.replace("Input should be", "must be")
    return plain_names(msg[:1].lower() + msg[1:]) if msg else "not accepted"


def read_number(label: str, text: Any, *, whole: bool) -> float:
    """Parse a typed number ('1,000', ' 90 % ', '2.5'); refuse blanks, words and non-finite values."""
    if isinstance(text, bool):
        raise LeverRefused(f"{label}: expected a number, got {text}.")
    if isinstance(text, (int, float)):
        number = float(text)
    else:
        cleaned = str(text).strip().rstrip("%").strip().replace("_", "").replace(" ", "")
        if not cleaned:
            raise LeverRefused(f"{label}: the box is empty; type a number.")
        cleaned = _without_commas(label, cleaned, str(text).strip())
        try:
            number = float(cleaned)
        except ValueError:
            raise LeverRefused(f"{label}: '{str(text).strip()}' is not a number.") from None
    if not math.isfinite(number):
        raise LeverRefused(f"{label}: '{text}' is not a finite number.")
    if whole and not number.is_integer():
        raise LeverRefused(f"{label}: '{str(text).strip()}' is not a whole number.")
    return number


_THOUSANDS = re.compile(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?")  # 20,000 or 1,250.5: commas group thousands
_DECIMAL_COMMA = re.compile(r"[+-]?\d*,\d+")  # 0,5 or 2,25: a decimal comma


def _without_commas(label: str, cleaned: str, shown: str) -> str:
    """Commas read as people write them: thousands separators (20,000), or one decimal comma (0,5 = 0.5);
    anything else with a comma (1,2,5 or 2,5.1) is refused rather than guessed."""
    if "," not in cleaned:
        return cleaned
    if _THOUSANDS.fullmatch(cleaned):
        return cleaned.replace(",", "")
    if _DECIMAL_COMMA.fullmatch(cleaned):
        return cleaned.replace(",", ".")
    raise LeverRefused(f"{label}: '{shown}' is not a number: write decimals with a point or one "
                       "comma (0.5 or 0,5) and thousands as 20000 or 20,000.")


def _tidy(x: float) -> float:
    """Round away binary noise from scaling (0.9 * 100 = 90.00000000000001)."""
    return float(f"{x:.12g}")
