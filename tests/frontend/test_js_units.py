"""Runs the Node unit tests of the page's pure ES modules (tests/frontend/js/) with Node's built-in runner."""

import shutil
import subprocess
from pathlib import Path

import pytest

JS_TESTS = Path(__file__).parent / "js"
REPO = Path(__file__).resolve().parents[2]


def test_pure_modules_pass_their_node_tests():
    """Geometry, store, save queue, shortcuts, layers and the API client behave as their tests state."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: the pure ES module tests need Node 18+ (apt-get install nodejs).")
    files = sorted(str(path) for path in JS_TESTS.glob("*.test.mjs"))
    assert files, f"no *.test.mjs files in {JS_TESTS}"
    # Explicit files, not the folder: Node 20 searches folders, Node 22 reads arguments as globs.
    result = subprocess.run([node, "--test", *files], cwd=REPO, capture_output=True, text=True, timeout=120)
    if result.returncode != 0:
        pytest.fail(f"node --test failed:\n{result.stdout[-20000:]}\n{result.stderr[-5000:]}")
    assert "# fail 0" in result.stdout
