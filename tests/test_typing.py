"""The package ships ``py.typed``, so ``mypy src/aquaflag`` stays clean (issue 10).

The configuration is pyproject.toml's ``[tool.mypy]``; this runs mypy the way a developer
would, from the repository root.
"""

from __future__ import annotations

import ast
import importlib.util
import re
import subprocess
import sys

import pytest

from conftest import REPO

# Being changed in branch liveperf; remove the exclusion when merged.
# (mypy's --exclude only stops a file being listed, not being checked when another module
# imports it, so the errors reported in these paths are left out of the assertion instead.)
EXCLUDED = (
    "src/aquaflag/ingest.py",
    "src/aquaflag/store/",
    "src/aquaflag/methods/distribution.py",
    "src/aquaflag/methods/context.py",
    "src/aquaflag/registry.py::Reach",  # the Reach class only
)

_ERROR = re.compile(r"^(?P<path>[^:\n]+):(?P<line>\d+):(?:\d+:)? error: ", re.MULTILINE)


def _class_lines(path: str, name: str) -> range:
    tree = ast.parse((REPO / path).read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == name:
            first = min([node.lineno] + [d.lineno for d in node.decorator_list])
            return range(first, (node.end_lineno or node.lineno) + 1)
    return range(0)


def _excluded(path: str, line: int) -> bool:
    path = path.replace("\\", "/")
    for item in EXCLUDED:
        file, _, cls = item.partition("::")
        if cls:
            if path == file and line in _class_lines(file, cls):
                return True
        elif path == file or (file.endswith("/") and path.startswith(file)):
            return True
    return False


def test_mypy_reports_no_errors_on_src():
    if importlib.util.find_spec("mypy") is None:
        pytest.skip("mypy is not installed (it is in the 'test' extra: pip install -e '.[test]')")
    done = subprocess.run(
        [sys.executable, "-m", "mypy", "src/aquaflag", "--no-error-summary", "--no-pretty"],
        cwd=REPO, capture_output=True, text=True,
    )
    found = list(_ERROR.finditer(done.stdout))
    # 0: clean; 1: errors, each on a "path:line: error:" line (2 is a crash or a usage error)
    assert done.returncode == 0 or (done.returncode == 1 and found), \
        done.stdout[-3000:] + done.stderr[-3000:]
    errors = [m.group(0) + done.stdout[m.end():].split("\n", 1)[0]
              for m in found if not _excluded(m.group("path"), int(m.group("line")))]
    assert not errors, f"{len(errors)} mypy error(s):\n" + "\n".join(errors[:60])
