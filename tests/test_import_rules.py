"""tests/ and bench/ share code only through testing/: bench never imports tests, tests never
imports bench, and testing imports neither (so a benchmark cannot come to depend on a test module,
nor a test on a benchmark script)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCH_MODULES = {path.stem for path in (ROOT / "bench").glob("*.py")} - {"__init__"}
# Each folder, and what its code must not import. bench/'s scripts put bench/ on sys.path and import
# each other by bare name (`from pupil_load import ...`), so those names count as bench too.
FORBIDDEN = {
    "bench": {"tests"},
    "tests": {"bench", *BENCH_MODULES},
    "testing": {"tests", "bench", *BENCH_MODULES},
}


def imported(path: Path) -> set[str]:
    """The top-level names of every module the file imports, at the top or inside functions."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found


@pytest.mark.parametrize("folder", sorted(FORBIDDEN))
def test_folder_imports_nothing_it_must_not(folder):
    wrong = {
        str(path.relative_to(ROOT)): sorted(imported(path) & FORBIDDEN[folder])
        for path in sorted((ROOT / folder).rglob("*.py"))
    }
    assert {path: names for path, names in wrong.items() if names} == {}


def test_the_rule_sees_an_import_inside_a_function(tmp_path):
    module = tmp_path / "example.py"
    module.write_text("def f():\n    from bench.soak import run\n    import tests.conftest\n")
    assert imported(module) == {"bench", "tests"}


def test_testing_loads_without_tests_or_bench():
    modules = [f"testing.{path.stem}" for path in sorted((ROOT / "testing").glob("*.py"))]
    code = (
        f"import sys, importlib; [importlib.import_module(m) for m in {modules!r}]; "
        "print(','.join(sorted({m.split('.')[0] for m in sys.modules} & {'tests', 'bench'})))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert result.stdout.strip() == ""
