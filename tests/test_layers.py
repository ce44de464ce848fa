"""The layers of the house: the ETL never imports the dashboard, not even inside a function (data flows one way,
from the files through the warehouse to the dashboard). The `bms` command that joins them is dashboard/cli.py."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def dashboard_imports(path: Path, root: Path = ROOT) -> list[str]:
    """Each `import dashboard…` or `from dashboard… import …` anywhere in a file, as 'file:line'."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names = [node.module or ""]
        else:
            continue
        if any(name == "dashboard" or name.startswith("dashboard.") for name in names):
            found.append(f"{path.relative_to(root)}:{node.lineno}")
    return found


def test_the_etl_never_imports_the_dashboard():
    files = sorted((ROOT / "etl").rglob("*.py"))
    assert len(files) > 10
    assert [hit for f in files for hit in dashboard_imports(f)] == []


def test_the_check_sees_an_import_inside_a_function(tmp_path):
    f = tmp_path / "m.py"
    f.write_text(
        "import os\nfrom dashboardish import x\n\ndef f():\n    from dashboard.admin import y\n"
        "    import dashboard\n    import etl, dashboard.reports as r\n",
        encoding="utf-8",
    )
    assert dashboard_imports(f, tmp_path) == ["m.py:5", "m.py:6", "m.py:7"]
