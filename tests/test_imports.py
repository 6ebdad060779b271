"""Imports sit at module level, where the import-linter contracts can see them.

Only `cli` and `commands` (and `output`, which only commands use) may import inside a
function, to keep start-up lazy; such an import says so in a comment.
"""

from __future__ import annotations

import ast
from pathlib import Path

import automation

PACKAGE = Path(automation.__file__).parent
LAZY_ALLOWED = ("cli.py", "commands/", "output.py")


def function_level_imports(source: str) -> list[int]:
    """Line numbers of imports inside a function body."""
    lines: list[int] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            lines.extend(
                inner.lineno
                for inner in ast.walk(node)
                if isinstance(inner, ast.Import | ast.ImportFrom)
            )
    return lines


def test_function_level_imports_are_found() -> None:
    source = "import os\n\ndef f():\n    import json\n\nasync def g():\n    from x import y\n"
    assert function_level_imports(source) == [4, 7]


def test_no_module_imports_inside_functions_except_for_lazy_start_up() -> None:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        name = path.relative_to(PACKAGE).as_posix()
        if name.startswith(LAZY_ALLOWED):
            continue
        found += [f"{name}:{line}" for line in function_level_imports(path.read_text())]
    assert found == [], (
        "move these imports to module level, where lint-imports sees them (a cycle they "
        "avoided is a layering problem to fix); only cli, commands and output may defer an "
        f"import for start-up time, with a comment saying so: {found}"
    )
