"""Write docs/cli.md from the commands themselves (a test keeps it up to date).

    python docs/gen_cli.py
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "cli.md"

INTRO = """\
# Command line

`aquaflag` is a thin layer over the Python API. Every command exits with 0 on
success, 2 with a one-line message (never a traceback, never click's usage block)
on bad input or usage, and 130 when interrupted; outputs are written atomically,
so an interrupted run leaves no truncated file.

| task | command |
|---|---|
| the seed's four tests on a file | `aquaflag detect Data.csv` |
| a QC configuration | `aquaflag init sonde.csv -o qc.toml`, then `aquaflag run -c qc.toml sonde.csv` |
| keep technicians' decisions | `aquaflag run -c qc.toml sonde.csv --store qc.sqlite`, `aquaflag review qc.sqlite` |
| always-on QC | `aquaflag ingest new.csv --store qc.sqlite -c qc.toml`, `aquaflag watch incoming/ ...`, `aquaflag alarms --store qc.sqlite` |
| learn from labels, score | `aquaflag tune ...`, `aquaflag evaluate ...` |

What the output files hold is in `aquaflag.outputs` (and below, `detect`); what
each odd input becomes is in [inputs.md](inputs.md); the configuration file in
[config.md](config.md).

## Output files of `detect` and `run`

| file | content |
|---|---|
| `outliers.csv` | one row per flagged value and rule: column, time, value, rule, method, score, lower, upper |
| `flags.csv` | QARTOD flag codes (1 good, 2 not evaluated, 3 suspect, 4 fail, 9 missing), same rows and columns as the data |
| `cleaned.csv` | the data with flagged values emptied (nothing dropped) |
| `qc_data.csv` | per column: the original value, its flag and its cleaned value side by side |
| `summary.csv` | per column and rule: n, missing, evaluated, outliers, bounds, parameters, note; columns no rule checked are listed |
| `provenance.csv` | which rule (method, parameters, derived thresholds) gave which flag to which value; technicians' decisions as rule "human" |
| `config.toml` | the configuration as run (yours, with its comments; or the rules written out): `aquaflag run -c config.toml FILE` reproduces the run |
| `plots/*.png` | per column the series with its outliers in red, plus a grid comparing the rules |

CSV files are UTF-8 with a byte-order mark (Excel shows Korean names); text that a
spreadsheet would run as a formula is written with a leading apostrophe.

## Commands
"""


def render() -> str:
    import click

    from aquaflag.cli.app import cli

    parts = [INTRO]
    ctx = click.Context(cli, info_name="aquaflag", help_option_names=["-h", "--help"],
                        terminal_width=100, max_content_width=100)
    for name in sorted(cli.list_commands(ctx)):
        command = cli.get_command(ctx, name)
        sub = click.Context(command, info_name=name, parent=ctx)
        text = command.get_help(sub).replace("Usage: aquaflag", "aquaflag", 1)
        parts.append(f"\n### `aquaflag {name}`\n\n```\n{text}\n```\n")
    return "".join(parts)


if __name__ == "__main__":
    OUT.write_text(render(), encoding="utf-8")
    print(f"wrote {OUT}")
