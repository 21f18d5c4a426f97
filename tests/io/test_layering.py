"""aquaflag.io sits low in the layers: it may import only errors, variables, windows (and itself)."""

from __future__ import annotations

import ast
from pathlib import Path

import aquaflag.io

ALLOWED = {"aquaflag.errors", "aquaflag.variables", "aquaflag.windows"}


def _imports(path: Path) -> set[str]:
    """Every aquaflag module a file imports, function-level imports included."""
    out = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against aquaflag.io
                base = ["aquaflag", "io"][: 2 - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            if module.startswith("aquaflag"):
                out.add(module)
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("aquaflag"))
    return out


def test_io_imports_only_the_layers_below():
    folder = Path(aquaflag.io.__file__).parent
    for path in sorted(folder.glob("*.py")):
        for module in _imports(path):
            assert module in ALLOWED or module == "aquaflag.io" or module.startswith("aquaflag.io."), (
                f"{path.name} imports {module}")


def test_old_modules_are_gone():
    src = Path(aquaflag.io.__file__).parents[1]
    assert not (src / "io.py").exists() and not (src / "layout.py").exists()
