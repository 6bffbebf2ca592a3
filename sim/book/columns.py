"""The book format, declared once: every file, every column, its meaning, unit, type and whether it is required.

``docs/book.md`` is written from these declarations (``python -m sim.book.columns`` prints its tables) and
the reader (:mod:`sim.book.read`) checks files against them.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Column:
    """One column of a book file."""

    name: str
    kind: str  # text, number, whole number, date, choice
    unit: str
    required: bool
    meaning: str
    allowed: str


ACCOUNTS = (
    Column("account_id", "text", "-", True, "The account's id in the CRM; unique in the file.", "non-empty text"),
    Column("rep_id", "text", "-", True, "Id of the rep who owns the account (a rep_id of reps).",
           "a rep_id in the reps file of a rep still in post"),
    Column("spend_per_week", "number", "currency per week", False,
           "What the account spends with the firm, per week. Give this or spend_per_year.", "a number >= 0"),
    Column("spend_per_year", "number", "currency per year", False,
           "What the account spends with the firm, per year (divided by 52). Give this or spend_per_week.",
           "a number >= 0"),
    Column("segment", "text", "-", True, "Market segment, as the CRM names it (kept, not used by the model).",
           "non-empty text"),
    Column("region", "text", "-", True, "Sales region, as the CRM names it (kept, not used by the model).",
           "non-empty text"),
    Column("nps_score", "whole number", "0-10 score", False,
           "The customer's last answer to 'how likely are you to recommend us?'.", "a whole number 0 to 10"),
    Column("satisfaction", "number", "fraction", False,
           "A survey answer scaled to 0-1 (used before nps_score when both are given).", "a number 0 to 1"),
    Column("share_of_wallet", "number", "fraction", False,
           "The firm's share of what the account spends in the category.", "a number above 0, at most 1"),
    Column("problem_category", "choice", "-", False,
           "Category of the account's open problem, if it has one.", "product, price, service or empty"),
    Column("problem_age_weeks", "whole number", "weeks", False,
           "How long the open problem has been open (required with problem_category).",
           "a whole number 0 to 520"),
    Column("last_contact", "date", "ISO date", False,
           "Date of the last call or visit that added value (not an e-mail blast).", "YYYY-MM-DD, not after as_of"),
    Column("churned_on", "date", "ISO date", False,
           "Date the account left, for history; accounts with a date do not start as customers.",
           "YYYY-MM-DD or empty"),
)

REPS = (
    Column("rep_id", "text", "-", True, "The rep's id in the CRM; unique in the file.", "non-empty text"),
    Column("manager_id", "text", "-", True, "Id of the rep's manager; reps with one manager form a team.",
           "non-empty text"),
    Column("tenure_years", "number", "years", True, "Time in the role, in years.", "a number 0 to 60"),
    Column("win_rate", "number", "fraction", False,
           "The rep's share of closed opportunities won (sets skill relative to the team's mean).",
           "a number 0 to 1"),
    Column("quota_attainment", "number", "fraction of quota", False,
           "Last period's attainment (1.0 = quota met); used for targets only.", "a number 0 to 10"),
    Column("left_on", "date", "ISO date", False,
           "Date the rep left, for history (turnover); reps with a date are not in post.", "YYYY-MM-DD or empty"),
)

OPPORTUNITIES = (
    Column("opportunity_id", "text", "-", True, "The opportunity's id in the CRM; unique in the file.",
           "non-empty text"),
    Column("account_id", "text", "-", True, "The account it was for.", "an account_id of accounts"),
    Column("rep_id", "text", "-", True, "The rep who worked it.", "a rep_id of reps"),
    Column("closed_on", "date", "ISO date", True, "Date it was closed, won or lost.", "YYYY-MM-DD"),
    Column("outcome", "choice", "-", True, "How it closed.", "won or lost"),
    Column("value", "number", "currency", False, "Deal value (kept, not used).", "a number >= 0"),
)

FILES = {"accounts": ACCOUNTS, "reps": REPS, "opportunities": OPPORTUNITIES}
REQUIRED_FILES = ("accounts", "reps")
SPEND_COLUMNS = ("spend_per_week", "spend_per_year")
PROBLEM_CATEGORIES = ("product", "price", "service")
WEEKS_PER_YEAR = 52.0  # calendar: the model's year is 52 weekly steps
MANIFEST = "book.toml"  # optional: as_of = YYYY-MM-DD, the date the export was taken


def markdown_table(columns: tuple[Column, ...]) -> str:
    """A Markdown table of ``columns`` for docs/book.md."""
    rows = ["| column | type | unit | required | meaning | allowed |", "|---|---|---|---|---|---|"]
    rows += [f"| `{c.name}` | {c.kind} | {c.unit} | {'yes' if c.required else 'no'} | {c.meaning} | {c.allowed} |"
             for c in columns]
    return "\n".join(rows)


if __name__ == "__main__":
    for name, cols in FILES.items():
        print(f"### {name}\n\n{markdown_table(cols)}\n")
