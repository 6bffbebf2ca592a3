"""Reading the project's TOML input files with errors a user can act on (file, field, value, what is allowed)."""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from sim.errors import UserError
from sim.safepath import excerpt, read_text


def did_you_mean(word: object, options: Iterable[str]) -> str:
    """"did you mean 'x'? " for the closest option, or an empty string."""
    near = difflib.get_close_matches(str(word), list(options), n=1)
    return f"did you mean '{near[0]}'? " if near else ""


def field_error(path: Path, field: str, value: object, allowed: str) -> UserError:
    """The one-paragraph error for a bad field in an input file (the value quoted briefly)."""
    return UserError(f"{path}: field '{excerpt(str(field))}' = {excerpt(repr(value))} is not allowed: {allowed}.")


def read_toml(path: Path, top_keys: tuple[str, ...], what: str = "Input file") -> dict[str, Any]:
    """Parse a TOML file and refuse unknown top-level keys (with a suggestion); ``what`` names it in messages."""
    text = read_text(path, what)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise UserError(f"{path}: not valid TOML ({e}).") from None
    for key in data:
        if key not in top_keys:
            raise field_error(path, key, data[key], f"{did_you_mean(key, top_keys)}allowed keys are "
                              f"{', '.join(top_keys)}")
    return data
