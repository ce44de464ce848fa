"""The shape of the code: no import circle among `dashboard/` modules nor among `etl/` modules, no `dashboard.`
import hidden inside a function (the usual way to dodge a circle), and no function in `dashboard/` or `etl/`
over 60 lines.

Read with `ast`, so nothing is imported or run."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "dashboard"
MAX_FUNCTION_LINES = 60
FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
# The `bms` console script imports a command's modules when that command runs, so that `bms load` does not
# load gunicorn or the report writers (python-docx, plotly, weasyprint). Its imports still count in the
# circle test below, so they cannot hide a circle. Likewise the report path imports its writers (Word with
# python-docx, PDF, Excel) when a report is written, not in every dashboard worker that shows the page.
DEFERRING = {"dashboard.cli", "dashboard.reports.build"}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _modules(package: Path = PACKAGE) -> dict[str, ast.Module]:
    return {_module_name(p): ast.parse(p.read_text(encoding="utf-8"), str(p)) for p in sorted(package.rglob("*.py"))}


def _imported(node: ast.Import | ast.ImportFrom, module: str, known: set[str]) -> set[str]:
    """The dashboard modules one import statement names (`from dashboard import data` names dashboard.data)."""
    if isinstance(node, ast.Import):
        names = [alias.name for alias in node.names]
    else:
        base = node.module or ""
        if node.level:  # relative: from the importing module's package (a package's __init__ is that package)
            parts = module.split(".")
            is_package = (ROOT.joinpath(*parts) / "__init__.py").exists()
            package = parts[: len(parts) - node.level + is_package]
            base = ".".join(package + ([base] if base else []))
        submodules = [f"{base}.{alias.name}" for alias in node.names]
        # `from dashboard.reports import queries` names the submodule only; a name defined in a module names it
        names = submodules + ([base] if any(name not in known for name in submodules) else [])
    found = set()
    for name in names:
        while name and name not in known:  # `dashboard.security.current_store` → dashboard.security
            name = name.rpartition(".")[0]
        if name and name not in ("dashboard", "etl"):  # a package's own __init__ is no circle
            found.add(name)
    return found


def _dynamic_import(node: ast.AST) -> str | None:
    """`importlib.import_module("dashboard.…")` (or an f-string starting so): the module text, else None."""
    if not isinstance(node, ast.Call) or not node.args:
        return None
    func = node.func
    if (func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)) not in (
        "import_module",
        "__import__",
    ):
        return None
    arg = node.args[0]
    if isinstance(arg, ast.JoinedStr) and arg.values:
        arg = arg.values[0]
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str) and arg.value.startswith("dashboard"):
        return arg.value + ("…" if arg is not node.args[0] else "")
    return None


def _imports(tree: ast.Module, module: str, known: set[str]) -> tuple[set[str], list[tuple[int, str]]]:
    """Every dashboard module a module imports, and the ones it imports inside a function (line, module)."""
    everything: set[str] = set()
    inside: list[tuple[int, str]] = []

    def visit(node: ast.AST, in_function: bool) -> None:
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            return  # read by the type checker only: no import at run time, so no circle
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = _imported(node, module, known) - {module}
            everything.update(names)
            inside.extend((node.lineno, name) for name in sorted(names) if in_function)
        elif (name := _dynamic_import(node)) and in_function:
            inside.append((node.lineno, name))
        for child in ast.iter_child_nodes(node):
            visit(child, in_function or isinstance(node, FUNCTIONS))

    visit(tree, False)
    return everything, inside


def _graph(package: Path = PACKAGE) -> tuple[dict[str, set[str]], list[str]]:
    modules = _modules(package)
    known = set(modules)
    graph, hidden = {}, []
    for module, tree in modules.items():
        graph[module], inside = _imports(tree, module, known)
        if module not in DEFERRING:
            hidden += [f"{module}:{line} imports {name}" for line, name in inside]
    return graph, hidden


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One circle per strongly connected group of modules (Tarjan), as the path round it."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[set[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.add(w)
                if w == v:
                    break
            if len(group) > 1:
                groups.append(group)

    for v in sorted(graph):
        if v not in index:
            connect(v)
    return [_path_round(graph, group) for group in groups]


def _path_round(graph: dict[str, set[str]], group: set[str]) -> list[str]:
    """A circle through the group's first module: a → … → a."""
    start = min(group)
    paths = {start: [start]}
    queue = [start]
    while queue:
        v = queue.pop(0)
        for w in sorted(graph[v] & group):
            if w == start:
                return paths[v] + [start]
            if w not in paths:
                paths[w] = paths[v] + [w]
                queue.append(w)
    return sorted(group)


def test_the_checker_sees_a_circle_and_an_import_inside_a_function():
    graph = {"dashboard.a": {"dashboard.b"}, "dashboard.b": {"dashboard.c"}, "dashboard.c": {"dashboard.a"}}
    assert _cycles(graph) == [["dashboard.a", "dashboard.b", "dashboard.c", "dashboard.a"]]
    source = "import os\nfrom dashboard import x\ndef f():\n    from .y import z\n    import_module('dashboard.q')\n"
    known = {"dashboard", "dashboard.x", "dashboard.y"}
    found = _imports(ast.parse(source), "dashboard.w", known)
    assert found == ({"dashboard.x", "dashboard.y"}, [(4, "dashboard.y"), (5, "dashboard.q")])


def test_no_import_circle_among_dashboard_modules():
    graph, _ = _graph()
    assert len(graph) > 30  # the whole package was read
    circles = [" → ".join(c) for c in _cycles(graph)]
    assert not circles, "import circles in dashboard/:\n" + "\n".join(circles)


def test_no_import_circle_among_etl_modules():
    """The ETL's modules too (the reader and the SSB readers had imported each other), counting imports made
    inside a function: deferring a module (`bms fetch`'s SSB client) is fine, closing a circle is not."""
    graph, _ = _graph(ROOT / "etl")
    assert len(graph) > 30  # the whole package was read
    circles = [" → ".join(c) for c in _cycles(graph)]
    assert not circles, "import circles in etl/:\n" + "\n".join(circles)


def test_no_dashboard_module_is_imported_inside_a_function():
    _, hidden = _graph()
    assert not hidden, "imports of dashboard modules inside functions (import them at the top):\n" + "\n".join(hidden)


def test_no_function_over_60_lines():
    long = []
    for folder in ("dashboard", "etl"):
        for path in sorted((ROOT / folder).rglob("*.py")):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                    lines = node.end_lineno - node.lineno + 1
                    if lines > MAX_FUNCTION_LINES:
                        long.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({lines} lines)")
    assert not long, f"functions over {MAX_FUNCTION_LINES} lines (split them along their parts):\n" + "\n".join(long)


def test_a_dashboard_worker_loads_no_report_writer_until_a_report_is_written(demo_dir):
    """Registering the pages (the Rapporter page among them) loads none of the report writers (python-docx for
    Word, the PDF and Excel writers): every gunicorn worker would carry them; they load when a report is
    written."""
    import subprocess
    import sys

    code = (
        "import sys; from pathlib import Path; from dashboard.app import create_app; "
        f"create_app(Path({str(demo_dir)!r})); "
        "print(sorted(m for m in ('docx', 'dashboard.reports.docx', 'dashboard.reports.pdf', 'dashboard.reports.xlsx') "
        "if m in sys.modules))"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]", done.stderr
