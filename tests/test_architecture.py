"""The import contracts in .importlinter hold: apps point down, no app's modules import in a circle."""

import ast
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_import_contracts_are_kept():
    """lint-imports reads .importlinter at the repository root; a broken contract names the import."""
    lint = Path(sys.executable).parent / "lint-imports"
    done = subprocess.run(
        [str(lint), "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert " 0 broken" in done.stdout


PROJECT = {"annotations", "inference", "feedback", "frontend", "hitl_project", "tracking"}


def function_level_project_imports() -> list[str]:
    """`path:line module` of every import of a project module made inside a function, outside
    AppConfig.ready() (where Django wants them) and without a comment on the line giving a reason."""
    found = []
    for path in sorted(ROOT.glob("*/**/*.py")):
        rel = path.relative_to(ROOT)
        if rel.parts[0] not in PROJECT or "migrations" in rel.parts:
            continue
        source = path.read_text()
        lines = source.splitlines()
        for function in ast.walk(ast.parse(source)):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef) or function.name == "ready":
                continue
            for node in ast.walk(function):
                if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    modules = [node.module]
                elif isinstance(node, ast.Import):
                    modules = [alias.name for alias in node.names]
                else:
                    continue
                if any(m.split(".")[0] in PROJECT for m in modules) and "#" not in lines[node.end_lineno - 1]:
                    found.append(f"{rel}:{node.lineno} {' '.join(modules)}")
    return found


def test_project_modules_are_imported_at_module_level():
    """A function-level import of the project's own code hides a cycle; only heavy libraries
    (torch, transformers, cv2, mlflow, dvc) load lazily, and the line says why."""
    assert function_level_project_imports() == []


def test_settings_are_read_in_settings_py_only():
    """The environment is read once, by hitl_project/settings.py; code reads `settings.X`, never a default
    of its own that could disagree with it (asgi.py only names the settings module)."""
    allowed = {Path("hitl_project/settings.py"), Path("hitl_project/asgi.py")}
    offenders = []
    for path in sorted(ROOT.glob("*/**/*.py")):
        rel = path.relative_to(ROOT)
        if rel.parts[0] not in PROJECT or rel in allowed:
            continue
        for number, line in enumerate(path.read_text().splitlines(), 1):
            if re.search(r"os\.environ|os\.getenv|getattr\(settings, [^)]*,", line):
                offenders.append(f"{rel}:{number} {line.strip()}")
    assert offenders == []
