"""The package's layers hold (docs/architecture.md): no import goes up, no import circles."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from conftest import REPO


def test_import_contract_holds():
    pytest.importorskip("importlinter")
    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint) if lint.exists() else "lint-imports", "--no-cache"],
                          cwd=REPO, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert "0 broken" in done.stdout


def test_no_import_cycles_function_level_imports_included():
    tool = REPO.parent / "shared" / "tools" / "import_cycles.py"
    if not tool.exists():
        pytest.skip(f"the workplace's import-cycle tool is not at {tool}")
    done = subprocess.run([sys.executable, str(tool), str(REPO / "src" / "aquaflag")],
                          capture_output=True, text=True)
    assert done.returncode == 0 and "0 import cycle(s)" in done.stdout, done.stdout


def test_the_architecture_page_names_every_layer_of_the_contract():
    import re
    import runpy

    gen = runpy.run_path(str(REPO / "docs" / "gen_architecture.py"))
    page = (REPO / "docs" / "architecture.md").read_text(encoding="utf-8")
    for row in gen["layers"]():
        for module in row:
            name = module.removeprefix("aquaflag.")
            if gen["exists"](module):
                assert re.search(rf"`{re.escape(name)}/?`", page), f"{name} is not on the page"
