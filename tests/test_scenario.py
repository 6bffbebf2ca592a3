"""Scenario files: loading, extends chains, overrides and the messages users see for bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from sim.errors import ScenarioError, UserError
from sim.params import Params, param_info
from sim.scenario import DEFAULT_DIR, list_scenarios, load_scenario, parse_set, scenario_names

BASELINE = """\
title = "Baseline"
question = "How does today's sales unit perform?"
mechanisms = ["M1", "M2"]

[parameters]
"""

MANDATE = """\
title = "Banner close-rate mandate"
question = "What happens when managers enforce a 90 % banner close rate?"
mechanisms = ["M1", "M2", "M3"]
extends = "baseline"
notice = "Watch the gap."
try = ["Lower enforcement", "Add audits"]

[parameters]
banner_target = 0.9
enforcement = 1.0
"""


def write(folder: Path, name: str, text: str) -> Path:
    """Write a scenario file and return its path."""
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def scenario_text(parameters: str = "", head: str = 'title = "T"\nquestion = "Q?"\n') -> str:
    """A minimal valid scenario with the given [parameters] body."""
    return f"{head}\n[parameters]\n{parameters}"


def message(path_or_name: str | Path, overrides: dict | None = None) -> str:
    """The ScenarioError message raised when loading a scenario."""
    with pytest.raises(ScenarioError) as info:
        load_scenario(path_or_name, overrides)
    return str(info.value)


@pytest.fixture
def scen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A scenarios folder with a baseline and a mandate, selected through SALESIM_SCENARIOS."""
    folder = tmp_path / "scenarios"
    folder.mkdir()
    write(folder, "baseline.toml", BASELINE)
    write(folder, "banner_mandate.toml", MANDATE)
    monkeypatch.setenv("SALESIM_SCENARIOS", str(folder))
    return folder


# --- loading ---------------------------------------------------------------------


def test_load_baseline_by_name(scen: Path) -> None:
    sc = load_scenario("baseline")
    assert sc.name == "baseline"
    assert sc.title == "Baseline"
    assert sc.mechanisms == ("M1", "M2")
    assert sc.extends is None
    assert sc.path == (scen / "baseline.toml").resolve()
    assert sc.params == Params()
    assert sc.overrides == {}


@pytest.mark.parametrize("as_path", [str, Path])
def test_load_baseline_by_path(scen: Path, as_path: type) -> None:
    sc = load_scenario(as_path(scen / "baseline.toml"))
    assert sc.name == "baseline"
    assert sc.params == Params()


def test_child_inherits_and_overrides_parent(scen: Path) -> None:
    sc = load_scenario("banner_mandate")
    assert sc.extends == "baseline"
    assert sc.params.banner_target == 0.9
    assert sc.params.enforcement == 1.0
    assert sc.overrides == {"banner_target": 0.9, "enforcement": 1.0}
    assert sc.notice == "Watch the gap."
    assert sc.things_to_try == ("Lower enforcement", "Add audits")


def test_extends_chain_of_three_merges_child_last(scen: Path, tmp_path: Path) -> None:
    write(scen, "baseline.toml", BASELINE + "n_reps = 30\n")
    head = 'title = "Soft"\nquestion = "Q?"\nextends = "banner_mandate"\n'
    path = write(tmp_path, "soft.toml", scenario_text("enforcement = 0.5\n", head=head))
    sc = load_scenario(path)
    assert (sc.params.n_reps, sc.params.banner_target, sc.params.enforcement) == (30, 0.9, 0.5)
    assert sc.mechanisms == ("M1", "M2", "M3")  # inherited when the child has none
    assert sc.notice == "" and sc.things_to_try == ()  # workshop notes are not inherited


def test_extends_relative_path(tmp_path: Path) -> None:
    (tmp_path / "base").mkdir()
    write(tmp_path / "base", "parent.toml", scenario_text("enforcement = 0.7\n"))
    child = write(tmp_path, "child.toml", 'title = "C"\nquestion = "Q?"\nextends = "base/parent.toml"\n')
    assert load_scenario(child).params.enforcement == 0.7


def test_overrides_are_applied_last(scen: Path) -> None:
    sc = load_scenario("banner_mandate", {"enforcement": 0.25, "parameters.audits": 0.5})
    assert sc.params.enforcement == 0.25
    assert sc.overrides == {"banner_target": 0.9, "enforcement": 0.25, "audits": 0.5}


def test_numpy_overrides_are_accepted(scen: Path) -> None:
    sc = load_scenario("baseline", {"n_reps": np.int64(5), "audits": np.float64(0.5)})
    assert sc.params.n_reps == 5 and type(sc.params.n_reps) is int
    assert sc.params.audits == 0.5


def test_overrides_list_only_values_that_differ_from_defaults(scen: Path) -> None:
    default = Params().enforcement
    assert load_scenario("baseline", {"enforcement": default}).overrides == {}


def test_list_scenarios_puts_baseline_first(scen: Path) -> None:
    write(scen, "aaa.toml", scenario_text())
    assert [s.name for s in list_scenarios()] == ["baseline", "aaa", "banner_mandate"]
    assert scenario_names() == ["baseline", "aaa", "banner_mandate"]


# --- errors ----------------------------------------------------------------------


def test_scenario_error_is_a_user_error() -> None:
    assert issubclass(ScenarioError, UserError)


def test_cycle_is_detected(tmp_path: Path) -> None:
    write(tmp_path, "a.toml", 'title = "A"\nquestion = "Q?"\nextends = "b"\n')
    write(tmp_path, "b.toml", 'title = "B"\nquestion = "Q?"\nextends = "./a.toml"\n')
    text = message(tmp_path / "a.toml")
    assert "loops" in text and "a.toml -> " in text and "b.toml" in text


def test_self_extension_is_a_cycle(tmp_path: Path) -> None:
    path = write(tmp_path, "me.toml", 'title = "A"\nquestion = "Q?"\nextends = "me"\n')
    assert "loops" in message(path)


def test_missing_parent_names_field_and_available(scen: Path, tmp_path: Path) -> None:
    path = write(tmp_path, "orphan.toml", 'title = "A"\nquestion = "Q?"\nextends = "basline"\n')
    text = message(path)
    assert "orphan.toml" in text and 'extends = "basline"' in text
    assert "Did you mean 'baseline'?" in text and "banner_mandate" in text


def test_unknown_parameter_suggests_name_and_names_file_and_field(tmp_path: Path) -> None:
    path = write(tmp_path, "typo.toml", scenario_text("enforcment = 1.0\n"))
    text = message(path)
    assert "typo.toml" in text
    assert "parameters.enforcment = 1.0" in text
    assert "did you mean 'enforcement'?" in text.lower()
    assert "\n" not in text


def test_unknown_top_level_key_lists_allowed_keys(tmp_path: Path) -> None:
    path = write(tmp_path, "top.toml", 'title = "T"\nquestion = "Q?"\nmechanism = ["M1"]\n')
    text = message(path)
    assert "'mechanism'" in text and "Did you mean 'mechanisms'?" in text
    assert "title, question, mechanisms, extends, notice, try, book, parameters" in text


def test_parameter_above_table_header_is_explained(tmp_path: Path) -> None:
    path = write(tmp_path, "above.toml", 'title = "T"\nquestion = "Q?"\nenforcement = 1.0\n')
    assert "below the [parameters] line" in message(path)


def test_out_of_range_names_range_and_unit(tmp_path: Path) -> None:
    path = write(tmp_path, "range.toml", scenario_text("banner_target = 1.5\nn_reps = 0\n"))
    text = message(path)
    assert "parameters.banner_target = 1.5 is out of range" in text
    assert "between 0 and 1 (fraction)" in text
    assert "between 1 and 2000 (reps)" in text


def test_bad_choice_lists_choices(tmp_path: Path) -> None:
    path = write(tmp_path, "choice.toml", scenario_text('crm_rule = "spend-drop"\n'))
    text = message(path)
    assert 'parameters.crm_rule = "spend-drop"' in text
    for choice in param_info()["crm_rule"].choices:
        assert f"'{choice}'" in text
    assert "Did you mean 'spend_drop'?" in text


@pytest.mark.parametrize(("line", "expected"), [
    ('enforcement = "high"', "expected a number between 0 and 1"),
    ("n_reps = 20.5", "expected a whole number"),
    ('one_on_one = "yes"', "expected true or false"),
    ("banner_target = true", "expected a number"),
    ('banner_target = "0.9"', "Write numbers without quotes"),
])
def test_wrong_type_says_what_is_expected(tmp_path: Path, line: str, expected: str) -> None:
    text = message(write(tmp_path, "type.toml", scenario_text(line + "\n")))
    assert "wrong type" in text and expected in text


@pytest.mark.parametrize("missing", ["title", "question"])
def test_missing_title_or_question(tmp_path: Path, missing: str) -> None:
    head = 'title = "T"\n' if missing == "question" else 'question = "Q?"\n'
    text = message(write(tmp_path, "nohead.toml", scenario_text(head=head)))
    assert f"'{missing}' is missing" in text


def test_wrong_top_level_types(tmp_path: Path) -> None:
    text = message(write(tmp_path, "types.toml", 'title = 3\nquestion = "Q?"\nmechanisms = "M1"\n'))
    assert "2 problems" in text
    assert "title = 3 has the wrong type" in text and "mechanisms" in text


def test_malformed_toml_gives_line_and_column(tmp_path: Path) -> None:
    text = message(write(tmp_path, "broken.toml", scenario_text("enforcement 1.0\n")))
    assert "broken.toml is not valid TOML" in text
    assert "line 5" in text and "column" in text
    assert "enforcement 1.0" in text


def test_missing_file_by_name_lists_available(scen: Path) -> None:
    text = message("basline")
    assert "'basline' not found" in text
    assert "Did you mean 'baseline'?" in text
    assert "Available scenarios: baseline, banner_mandate." in text


def test_missing_file_by_path_lists_available(scen: Path, tmp_path: Path) -> None:
    text = message(tmp_path / "nope.toml")
    assert "nope.toml does not exist" in text and "baseline, banner_mandate" in text


def test_cross_field_rule_names_sources(scen: Path) -> None:
    text = message("banner_mandate", {"n_reps": 2})
    assert "n_managers (3) must not exceed n_reps (2)" in text
    assert "n_reps = 2 from --set" in text and "n_managers = 3 by default" in text


def test_several_problems_one_per_line(tmp_path: Path) -> None:
    text = message(write(tmp_path, "many.toml", scenario_text("enforcment = 1\naudits = 2\n")))
    lines = text.splitlines()
    assert lines[0].endswith("has 2 problems:")
    assert len(lines) == 3 and all(line.startswith("  - ") for line in lines[1:])


def test_bad_override_names_set(scen: Path) -> None:
    text = message("baseline", {"enforcment": 1})
    assert text.startswith("Invalid --set override") and "Did you mean 'enforcement'?" in text


def test_parent_errors_name_the_parent(scen: Path) -> None:
    write(scen, "baseline.toml", BASELINE + "audits = 7\n")
    text = message("banner_mandate")
    assert "baseline.toml" in text and "parameters.audits = 7" in text


# --- parse_set -------------------------------------------------------------------


@pytest.mark.parametrize(("item", "value"), [
    ("banner_target=0.9", 0.9),
    ("n_reps=3", 3),
    ("one_on_one=true", True),
    ('crm_rule="none"', "none"),
    ("crm_rule=spend_drop", "spend_drop"),
    (" enforcement = 1.0 ", 1.0),
    ("note=a=b", "a=b"),
    ("note=", ""),
])
def test_parse_set_values(item: str, value: object) -> None:
    key = item.split("=")[0].strip()
    parsed = parse_set([item])
    assert parsed == {key: value}
    assert type(parsed[key]) is type(value)


def test_parse_set_last_wins_and_empty() -> None:
    assert parse_set(["a=1", "a=2"]) == {"a": 2}
    assert parse_set([]) == {} and parse_set(None) == {}


@pytest.mark.parametrize("item", ["enforcement", "=1", ""])
def test_parse_set_rejects_malformed(item: str) -> None:
    with pytest.raises(ScenarioError, match="lever=value"):
        parse_set([item])


# --- the repository's own scenarios ----------------------------------------------

REPO_SCENARIOS = sorted(DEFAULT_DIR.glob("*.toml"))


@pytest.mark.parametrize("path", REPO_SCENARIOS, ids=[p.stem for p in REPO_SCENARIOS])
def test_repository_scenarios_are_valid(path: Path) -> None:
    sc = load_scenario(path)
    assert sc.title and sc.question
