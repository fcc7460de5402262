"""The pages' ES modules as production serves them: collected with hashed names (DEBUG=0), every
relative import resolving to a collected file, and other apps reaching into frontend's static
files only through its shared library (frontend/lib/)."""

import json
import re

from tests.test_settings import ROOT

IMPORT = re.compile(r"""^\s*(?:import|export)\b[^"';]*?\bfrom\s*["']([^"']+)["']""", re.MULTILINE)
STATIC_DIRS = [ROOT / app / "static" for app in ("frontend", "feedback", "annotations", "inference")]


def modules() -> dict[str, str]:
    """Static path ("frontend/annotate.js") -> source, for the project's own modules (no vendored code)."""
    found = {}
    for base in STATIC_DIRS:
        for path in base.rglob("*.js"):
            if "vendor" not in path.parts:
                found[path.relative_to(base).as_posix()] = path.read_text()
    return found


def resolve(importer: str, target: str) -> str:
    parts = importer.split("/")[:-1]
    for piece in target.split("/"):
        if piece == "..":
            parts.pop()
        elif piece != ".":
            parts.append(piece)
    return "/".join(parts)


def test_collectstatic_with_production_settings_keeps_every_module(collected_static):
    """`collectstatic` (the compose `migrate` step) succeeds with the manifest storage and collects the library."""
    static_root = collected_static
    paths = json.loads((static_root / "staticfiles.json").read_text())["paths"]
    for name in ("frontend/annotate.js", "frontend/lib/http.js", "frontend/lib/socket.js", "feedback/dashboard.js"):
        assert name in paths and (static_root / paths[name]).exists(), name
        # Module imports are relative and not rewritten: the unhashed file must be served as well.
        assert (static_root / name).exists(), name


def test_every_relative_import_resolves_and_other_apps_use_only_the_shared_library():
    sources = modules()
    assert "frontend/lib/http.js" in sources
    missing, crossing = [], []
    for importer, text in sources.items():
        for target in IMPORT.findall(text):
            assert target.startswith("."), f"{importer} imports {target!r}: pages import by relative path only"
            path = resolve(importer, target)
            if path not in sources:
                missing.append(f"{importer} -> {target}")
            if path.split("/")[0] != importer.split("/")[0] and not path.startswith("frontend/lib/"):
                crossing.append(f"{importer} -> {path}")
    assert missing == []
    assert crossing == []
