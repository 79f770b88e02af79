"""The package's floor plan: three wings and a front door, no import cycle, no module over 500
lines, every module importable on its own, and the analyses' lazy exports complete."""
import ast
import subprocess
import sys
from pathlib import Path

import pytest

import custlab

PACKAGE = Path(custlab.__file__).resolve().parent
FRONT_DOOR = {"config", "errors", "i18n", "report", "plots", "cli"}
MAX_LINES = 500


def _modules() -> dict[str, Path]:
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        name = ".".join(("custlab", *parts))
        out[name.removesuffix(".__init__")] = path
    return out


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """The custlab modules that ``name`` imports anywhere in its text (in functions too), except
    under ``if TYPE_CHECKING:``."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    tree = ast.parse(path.read_text(encoding="utf-8"))
    type_only = {id(n) for block in ast.walk(tree) if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
                 for stmt in block.body for n in ast.walk(stmt)}  # annotations only: not imported when running
    for node in ast.walk(tree):
        if id(node) in type_only:
            continue
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("custlab")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("custlab"):
                continue
            for alias in node.names:  # `from . import x` imports the module x
                found.add(f"{target}.{alias.name}" if f"{target}.{alias.name}" in MODULES else target)
    return {m for m in found if m in MODULES and m != name}


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


WINGS = ("run", "data", "analyses")


def _wing(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in WINGS else "front door"


def test_the_package_has_three_wings_and_a_front_door():
    wings = {_wing(m) for m in MODULES if m != "custlab"}
    assert wings == {"run", "data", "analyses", "front door"}
    assert {m.split(".")[1] for m in MODULES if _wing(m) == "front door" and m != "custlab"} == FRONT_DOOR


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every import cycle a depth-first walk of ``graph`` meets, as the modules around it."""
    cycles, state = [], {}

    def visit(node, trail):
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                cycles.append(trail[trail.index(nxt):] + [nxt])
            elif nxt not in state:
                visit(nxt, trail + [nxt])
        state[node] = "done"

    for module in sorted(graph):
        if module not in state:
            visit(module, [module])
    return cycles


def test_no_import_cycle():
    assert _cycles(GRAPH) == []


def test_the_cycle_check_finds_cycles_and_sees_imports_inside_functions():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c", "a"]]
    assert {"custlab.data.cache", "custlab.data.readers"} <= GRAPH["custlab.data.sources"]  # `from .cache import ...`
    assert "custlab.data.readers" in GRAPH["custlab.data.cache"]  # imported inside fingerprint()
    assert "custlab.data.cleaning._clean" not in GRAPH["custlab.data.cleaning.findings"]  # for annotations only


@pytest.mark.parametrize("wing, never", [("data", {"analyses", "run"}), ("analyses", {"run"}), ("run", {"analyses"})])
def test_a_wing_imports_the_front_door_and_the_wings_below_it(wing, never):
    wrong = {(m, i) for m in MODULES if _wing(m) == wing for i in GRAPH[m] if _wing(i) in never}
    assert wrong == set()


def test_no_module_reaches_into_another_wings_private_modules():
    def private(module):
        return any(part.startswith("_") and part != "__init__" for part in module.split(".")[2:-1] + module.split(".")[-1:])
    wrong = {(m, i) for m in MODULES for i in GRAPH[m] if private(i) and _wing(i) != _wing(m)}
    assert wrong == set()


def test_no_module_is_over_500_lines():
    long = {str(p.relative_to(PACKAGE)): n for p in MODULES.values()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}


@pytest.mark.parametrize("order", ["sorted", "reversed"])
def test_every_module_imports_in_a_fresh_interpreter_in_any_order(order):
    names = sorted(MODULES) if order == "sorted" else sorted(MODULES, reverse=True)
    script = "import importlib\nfor name in %r:\n    importlib.import_module(name)\nprint('ok')" % names
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert done.stdout.strip() == "ok", done.stderr[-2000:]


def _public(path: Path) -> set[str]:
    names = set()

    def targets(t):
        if isinstance(t, ast.Name):
            names.add(t.id)
        elif isinstance(t, (ast.Tuple, ast.List)):
            for e in t.elts:
                targets(e)
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            for t in node.targets:
                targets(t)
        elif isinstance(node, ast.AnnAssign):
            targets(node.target)
    return {n for n in names if not n.startswith("_") and n not in ("log", "NOTEBOOK", "PARAMS")}


ANALYSES = sorted(p.parent.name for p in (PACKAGE / "analyses").glob("*/__init__.py"))


@pytest.mark.parametrize("name", ANALYSES)
def test_an_analysis_exports_every_public_name_of_its_modules(name):
    import importlib

    package = importlib.import_module(f"custlab.analyses.{name}")
    folder = PACKAGE / "analyses" / name
    expected = set().union(*(_public(p) for p in folder.glob("*.py") if p.name != "__init__.py"))
    assert set(package.__all__) == expected
    assert all(getattr(package, n) is not None for n in ("__doc__",))


def test_validating_every_notebooks_parameters_imports_no_model():
    script = ("import sys; from custlab import config\n"
              "for nb in sorted(config.notebook_params()): config.load_params(nb, overrides={'source': {'kind': 'sql', 'url': 'sqlite://'}})\n"
              "print(sorted(config.notebook_params()), sorted(m for m in ('pandas', 'numpy', 'sklearn', 'scipy') if m in sys.modules))")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    notebooks = sorted(p.stem for p in (PACKAGE.parents[1] / "notebooks").glob("*.ipynb"))
    assert done.stdout.strip() == f"{notebooks} []", done.stderr[-2000:]
