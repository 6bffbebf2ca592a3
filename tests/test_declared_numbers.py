"""Every number that shapes behaviour is a declared parameter (sim.params.Params), not a literal.

An AST scan of every module the model step executes fails on any numeric literal that is not
structural. Structural means: 0 and 1 (and -1) inside functions; integers used as an array index
or in the shape of an array or a random draw; and the entries of the explicit allow-list below,
each with its reason. A behavioural number found here belongs in ``Params`` (with unit, range,
group and source), so that sensitivity analysis and calibration can reach it.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Every module the model step executes (sim.model and what it imports, transitively).
MODEL_MODULES = (
    "sim/agents.py",
    "sim/model.py",
    "sim/operations.py",
    "sim/population.py",
    "sim/book/start.py",
    "sim/book/__init__.py",
    "sim/book/model.py",
    "sim/worklist.py",
    "sim/week.py",
    "sim/economics.py",
    "sim/policies/__init__.py",
    "sim/policies/coaching.py",
    "sim/policies/crm.py",
    "sim/policies/pay.py",
    "sim/policies/plan.py",
    "sim/policies/respond.py",
    "sim/kernels/__init__.py",
    "sim/kernels/accounts.py",
    "sim/kernels/customers.py",
    "sim/kernels/libm.py",
    "sim/kernels/money.py",
    "sim/kernels/operations.py",
    "sim/kernels/needs.py",
    "sim/kernels/week.py",
    "sim/kernels/work.py",
    "sim/kernels/worklist.py",
)
# Modules the model imports that hold no behaviour, and why they are not scanned.
NOT_SCANNED = {
    "sim/kernels/warm.py": "compiles the kernels ahead (which signatures, how many processes): no behaviour",
    "sim/params.py": "the declarations themselves",
    "sim/kpis.py": "ledger and KPI definitions: measurement, not behaviour",
    "sim/formatting.py": "how numbers are written for people (imported by sim/kpis.py): presentation",
    "sim/errors.py": "error types",
    "sim/book/read.py": "reading and checking book files: the file format's rules and the calendar, not behaviour",
    "sim/book/rows.py": "the book format's value ranges (docs/book.md): what a file may hold, not behaviour",
    "sim/book/columns.py": "the book format's column declarations: documentation data",
    "sim/kernels/reductions.py": "NumPy's pairwise summation order (block sizes of its algorithm): arithmetic",
    "sim/kernels/draws.py": "Philox4x32-10's published constants and the 53-bit double: the generator, not behaviour",
    "sim/draw_streams.py": "the per-seat streams' numbers and key layout: addresses of random numbers",
    "sim/scenario.py": "checking scenario files and --set values (SalesModel.change_levers): validation, not behaviour",
    "sim/safepath.py": "reading the files a user named (imported by sim/scenario.py): input handling",
    "sim/limits.py": "size caps of a command's work (imported by sim/safepath.py): input handling",
}

# Calls whose first argument, when a tuple, is an array shape: (rows, n) of a block of draws.
SHAPE_CALLS = {"random", "standard_normal", "empty", "zeros", "ones", "full"}
# Counter-based draws (sim.kernels.draws) whose last argument is the draw's index in its address.
DRAW_CALLS = {"uniform", "normal", "uniforms_at", "normals_at"}
ANYWHERE = {"0", "0.0", "1", "1.0", "-1", "-1.0"}  # arithmetic identities, complements, clips of probabilities

NPS_PROMOTER = "NPS definition: promoters score 9-10"
NPS_DETRACTOR = "NPS definition: detractors score 0-6"
NPS_SCALE = "NPS definition: the 0-10 likelihood-to-recommend scale"
ROUND_HALF_UP = "rounds satisfaction x 10 to the nearest whole score"
INTENT_RANGE = "the range of means the intent quantile table covers"
SCIPY_LOGIT = "SciPy's logit: log(x / (1 - x)), or log1p(2(x - 0.5)) - log1p(-2(x - 0.5)) on [0.3, 0.65]"

# (file, scope) -> {literal as written: reason}. The scope is the enclosing function or class
# (dotted), or for a module-level assignment the names it assigns.
ALLOW: dict[tuple[str, str], dict[str, str]] = {
    ("sim/model.py", "SalesModel.__init__"): {"9": NPS_PROMOTER, "6": NPS_DETRACTOR},
    ("sim/model.py", "SalesModel.crm_raises_banners"): {"9": NPS_PROMOTER, "6": NPS_DETRACTOR},
    ("sim/book/__init__.py", "_cached"): {"4": "how many books are kept in memory: a cache size"},
    ("sim/book/__init__.py", "_digest"): {"16": "cache size, and the hex digits of a book's content hash"},
    ("sim/book/model.py", "Book.from_frames"): {"10.0": "the 0-10 NPS scale onto satisfaction's 0-1 (the inverse "
                                                         "of population.nps_score)"},
    ("sim/kernels/libm.py", "scalar_power"): {"2.0": "NumPy's power computes a square exactly",
                                                "0.5": "NumPy's power computes a square root exactly"},
    ("sim/kernels/customers.py", "decide"): {"3": "index of the last of the four churn causes"},
    ("sim/model.py", "SalesModel.reps_review"): {
        "4": "issue codes 0-3 (none and three categories): the count table's width and the row offset of "
             "the managers' uniforms after the four escalation rows"},
    ("sim/operations.py", "Operations.step_disruption"): {"2": "2**63: the range of a derived seed",
                                                          "63": "2**63: the range of a derived seed"},
    ("sim/population.py", "NO_NEED, PURCHASE, SERVICE"): {"0": "need-kind codes", "1": "need-kind codes",
                                                          "2": "need-kind codes"},
    ("sim/population.py", "NO_ISSUE, PRODUCT, PRICE, SERVICE_ISSUE"): {
        "0": "issue-category codes", "1": "issue-category codes", "2": "issue-category codes",
        "3": "issue-category codes"},
    ("sim/population.py", "ALIVE, NEGLECT, SERVICE_FAILURE, PITCH, PRICE_CAUSE"): {
        "0": "churn-cause codes", "1": "churn-cause codes", "2": "churn-cause codes", "3": "churn-cause codes",
        "4": "churn-cause codes"},
    ("sim/population.py", "nps_score"): {"10.0": NPS_SCALE, "10": NPS_SCALE, "0.5": ROUND_HALF_UP},
    ("sim/population.py", "_intent_table"): {
        "8": "cache size (tables for a few intent concentrations)",
        "1025": "numerical grid: probabilities in 1024 steps"},
    ("sim/population.py", "INTENT_MEAN_MIN, INTENT_MEAN_MAX, INTENT_MEAN_STEPS"): {
        "0.01": INTENT_RANGE, "0.99": INTENT_RANGE, "99": "numerical grid: means in steps of 0.01"},
    ("sim/kernels/needs.py", "READ_DRAW"): {"4": "the read's draw index in a seat's address, past a stage's uniforms"},
    ("sim/kernels/needs.py", "intent_at"): {"1.000001": "keeps the interpolation inside the quantile table"},
    ("sim/population.py", "read_intents"): {"2.0": "trigamma is the Hurwitz zeta of order 2"},
    ("sim/population.py", "Accounts.__init__"): {
        "-0.5": "location -sigma**2 / 2 gives the lognormal a mean of one",
        "2": "sigma**2 and 2 pi (a full cycle of phase)"},
    ("sim/population.py", "Accounts.season_angle"): {"2": "2 pi: a full cycle", "52.0": "weeks in a year (calendar)"},
    ("sim/kernels/needs.py", "read"): {
        "0.3": SCIPY_LOGIT, "0.65": SCIPY_LOGIT, "2": SCIPY_LOGIT, "0.5": SCIPY_LOGIT},
    ("sim/kernels/needs.py", "raise_banners"): {
        "6": NPS_DETRACTOR,
        "7": "NPS definition: 7-10 are passives and promoters", "2": "code of the third CRM rule in RULES"},
    ("sim/kernels/week.py", "census"): {"100.0": "NPS definition: percent promoters minus percent detractors"},
    ("sim/worklist.py", "_prospect_blocks"): {"8": "cache size"},
    ("sim/kernels/worklist.py", "_sift_down"): {"2": "binary heap: the children of node k are 2k+1 and 2k+2"},
    ("sim/kernels/worklist.py", "take_within_hours"): {"2": "binary heap: the last parent is at size // 2 - 1"},
    ("sim/kernels/worklist.py", "plan"): {
        "2.0": "sort key: tier code of work not taken (0 needs, 1 outbound)",
        "3.0": "sort key: three tiers per slot",
        "0.5": "sort key: maps utility per hour into (0, 1) within a tier"},
    ("sim/policies/plan.py", "QUARTER"): {"13": "weeks in a quarter (calendar)"},
    ("sim/policies/plan.py", "PERIOD_WEEKS"): {"4": "quarters in a year (calendar)"},
    ("sim/policies/plan.py", "_SQRT_2PI"): {"2.0": "the normal density's constant, sqrt(2 pi)"},
    ("sim/policies/plan.py", "_density"): {"-0.5": "the normal density, exp(-z**2 / 2)"},
    ("sim/policies/respond.py", "_MIN_SD_SHARE"): {
        "1e-06": "numerical guard: a forecast's spread is never exactly zero"},
}


@dataclass(frozen=True)
class Literal:
    file: str
    line: int
    scope: str
    text: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line} ({self.scope}): {self.text}"


def _text(node: ast.AST) -> str | None:
    """The literal as written (``-1`` for a negated constant), or None if the node is no number."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _text(node.operand)
        return None if inner is None else f"-{inner}"
    if isinstance(node, ast.Constant) and type(node.value) in (int, float, complex):
        return repr(node.value)
    return None


def _structural_position(node: ast.AST, parent: ast.AST | None, grand: ast.AST | None) -> bool:
    """An integer used as an array index, a slice bound, in an array shape, or as a draw's index."""
    if not (isinstance(node, ast.Constant) and type(node.value) is int):
        return False
    if isinstance(parent, ast.Subscript) and parent.slice is node:
        return True
    if isinstance(parent, ast.Slice):
        return True
    if isinstance(parent, ast.Tuple) and isinstance(grand, ast.Subscript) and grand.slice is parent:
        return True
    if isinstance(parent, ast.Call) and len(parent.args) == 3 and parent.args[2] is node:
        f = parent.func
        return (f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")) in DRAW_CALLS
    if isinstance(parent, ast.Tuple) and isinstance(grand, ast.Call) and grand.args and grand.args[0] is parent:
        f = grand.func
        name = f.attr if isinstance(f, ast.Attribute) else getattr(f, "id", "")
        return name in SHAPE_CALLS
    return False


def scan(source: str, file: str) -> list[Literal]:
    """Every numeric literal in ``source`` that is not structural by position (allow-list not applied)."""
    found: list[Literal] = []

    def visit(node: ast.AST, scope: str, module_level: bool, parent: ast.AST | None, grand: ast.AST | None) -> None:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            scope = f"{scope}.{node.name}" if scope else node.name
            module_level = False
        text = _text(node)
        if text is not None:
            if not _structural_position(node, parent, grand) and (module_level or text not in ANYWHERE):
                found.append(Literal(file, node.lineno, scope or "<module>", text))
            return
        for child in ast.iter_child_nodes(node):
            visit(child, scope, module_level, node, parent)

    for stmt in ast.parse(source).body:
        scope = ""
        if isinstance(stmt, ast.Assign | ast.AnnAssign):
            targets = stmt.targets if isinstance(stmt, ast.Assign) else [stmt.target]
            names = [n.id for t in targets for n in ast.walk(t) if isinstance(n, ast.Name)]
            scope = ", ".join(names)
        visit(stmt, scope, True, None, None)
    return found


def undeclared(literals: list[Literal], allow: dict[tuple[str, str], dict[str, str]]) -> list[Literal]:
    """The literals the allow-list does not cover."""
    return [lit for lit in literals if lit.text not in allow.get((lit.file, lit.scope), {})]


def _scan_model() -> list[Literal]:
    out: list[Literal] = []
    for rel in MODEL_MODULES:
        out += scan((ROOT / rel).read_text(encoding="utf-8"), rel)
    return out


def test_model_code_holds_no_behavioural_literal():
    bad = undeclared(_scan_model(), ALLOW)
    assert not bad, ("numbers in the model code that shape behaviour must be Params fields (sim/params.py: "
                     "default, unit, range, group, source); if one is structural, add it to ALLOW in "
                     "tests/test_declared_numbers.py with a reason:\n  " + "\n  ".join(map(str, bad)))


def test_every_allow_list_entry_is_still_needed():
    used = {(lit.file, lit.scope, lit.text) for lit in _scan_model()}
    stale = [f"{f} ({scope}): {text}" for (f, scope), entries in ALLOW.items() for text in entries
             if (f, scope, text) not in used]
    assert not stale, "allow-list entries that match no literal any more (remove them):\n  " + "\n  ".join(stale)


def test_the_scanner_reports_a_behavioural_literal():
    source = (
        "RATE = 0.25  # a module constant\n"
        "NO, YES = 0, 1\n"
        "def hazard(stress, u):\n"
        "    draws = u.random((3, 10))[2]\n"
        "    return max(0.0, stress - 0.3) / 0.7 + 1.0 - draws\n"
        "class Rep:\n"
        "    def quit(self):\n"
        "        return -2\n"
    )
    found = [str(lit) for lit in undeclared(scan(source, "x.py"), {("x.py", "NO, YES"): {"0": "codes"}})]
    assert found == ["x.py:1 (RATE): 0.25", "x.py:2 (NO, YES): 1", "x.py:5 (hazard): 0.3", "x.py:5 (hazard): 0.7",
                     "x.py:8 (Rep.quit): -2"]


def _sim_imports(rel: str) -> set[str]:
    """Files of the sim modules ``rel`` imports at run time (not under ``if TYPE_CHECKING:``)."""
    tree = ast.parse((ROOT / rel).read_text(encoding="utf-8"))
    skip = {id(n) for stmt in ast.walk(tree) if isinstance(stmt, ast.If)
            and getattr(stmt.test, "id", "") == "TYPE_CHECKING" for n in ast.walk(stmt)}
    out = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
        for name in names:
            if name.startswith("sim."):  # the package's __init__ is the public API, not the model
                path = Path(*name.split("."))
                for cand in (path.with_suffix(".py"), path / "__init__.py"):
                    if (ROOT / cand).is_file():
                        out.add(cand.as_posix())
    return out


def test_the_scan_covers_every_module_the_model_runs():
    seen, todo = set(), ["sim/model.py"]
    while todo:
        rel = todo.pop()
        if rel in seen:
            continue
        seen.add(rel)
        todo += sorted(_sim_imports(rel))
    missing = sorted(seen - set(MODEL_MODULES) - set(NOT_SCANNED))
    assert not missing, f"sim.model imports modules the scan does not cover: {missing}; add them to MODEL_MODULES"
