"""The README's two set-up commands stay true: CI runs the test command exactly."""

import re

from conftest import REPO


def _commands():
    text = (REPO / "README.md").read_text(encoding="utf-8")
    return re.findall(r"```bash\n(python3 -m venv [^\n]+)\n```", text)


def test_readme_has_the_two_setup_commands():
    demo, tests = _commands()[:2]
    assert demo.endswith("aquaflag demo")
    assert "pytest" in tests


def test_ci_runs_the_readme_test_command():
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert _commands()[1] in ci.splitlines()


def test_methods_reference_is_up_to_date():
    import runpy

    gen = runpy.run_path(str(REPO / "docs" / "gen_methods.py"))
    assert (REPO / "docs" / "methods.md").read_text(encoding="utf-8") == gen["render"](), \
        "docs/methods.md is stale: run python docs/gen_methods.py"


def test_input_oddities_page_is_up_to_date():
    import runpy

    gen = runpy.run_path(str(REPO / "docs" / "gen_inputs.py"))
    assert (REPO / "docs" / "inputs.md").read_text(encoding="utf-8") == gen["render"](), \
        "docs/inputs.md is stale: run python docs/gen_inputs.py"


def test_cli_page_is_up_to_date():
    import runpy

    gen = runpy.run_path(str(REPO / "docs" / "gen_cli.py"))
    assert (REPO / "docs" / "cli.md").read_text(encoding="utf-8") == gen["render"](), \
        "docs/cli.md is stale: run python docs/gen_cli.py"
