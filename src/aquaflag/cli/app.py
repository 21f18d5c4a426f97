"""The ``aquaflag`` command group and its entry point, with one-line errors."""

from __future__ import annotations

import sys

import click

from .._version import __version__
from ..errors import AquaflagError
from .commands import demo, detect, init, methods, run
from .evaluate import evaluate
from .export import export
from .live import alarms, ingest, watch
from .review import review
from .tune import tune

__all__ = ["cli", "main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="aquaflag")
def cli() -> None:
    """Find, flag and clean outliers in water-quality monitoring time series."""


for _command in (detect, run, init, methods, demo, ingest, watch, alarms, review, export, tune, evaluate):
    cli.add_command(_command)


def main(argv: list[str] | None = None) -> int:
    """Run the command line with ``argv``; return the exit code.

    Exit codes: 0 done; 2 bad input or usage (one line on stderr, naming what
    to fix); 130 interrupted (outputs are written atomically, so an
    interrupted run leaves no truncated file).
    """
    try:
        cli.main(args=argv, prog_name="aquaflag", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aquaflag: interrupted", err=True)
        return 130
    except KeyboardInterrupt:
        click.echo("aquaflag: interrupted", err=True)
        return 130
    except click.exceptions.NoArgsIsHelpError as exc:
        click.echo(exc.ctx.get_help() if exc.ctx else str(exc))
        return 0
    except click.ClickException as exc:
        click.echo(f"aquaflag: error: {_one_line(exc)}", err=True)
        return 2 if exc.exit_code in (1, 2) else exc.exit_code
    except AquaflagError as exc:
        click.echo(f"aquaflag: error: {exc}", err=True)
        return 2
    except MemoryError:
        click.echo("aquaflag: error: out of memory; evaluate fewer columns at once (--columns) "
                   "or run on Dask (--engine dask)", err=True)
        return 2
    return 0


def _one_line(exc: click.ClickException) -> str:
    """click's message on one line, with where to get help (instead of its usage block)."""
    message = " ".join(exc.format_message().split())
    ctx = getattr(exc, "ctx", None)
    where = f"{ctx.command_path} --help" if ctx is not None else "aquaflag --help"
    return f"{message} (see `{where}`)"


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
