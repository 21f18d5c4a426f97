"""The package ships ``py.typed``, so ``mypy src/aquaflag`` stays clean (issue 10).

The configuration is pyproject.toml's ``[tool.mypy]``; this runs mypy the way a developer
would, from the repository root.
"""

from __future__ import annotations

import importlib.util
import re
import subprocess
import sys

import pytest

from conftest import REPO

_ERROR = re.compile(r"^(?P<path>[^:\n]+):(?P<line>\d+):(?:\d+:)? error: ", re.MULTILINE)


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
    errors = [m.group(0) + done.stdout[m.end():].split("\n", 1)[0] for m in found]
    assert not errors, f"{len(errors)} mypy error(s):\n" + "\n".join(errors[:60])
