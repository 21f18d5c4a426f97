"""The command line: a thin layer over the Python API.

``main(argv) -> exit code``: 0 on success, 2 with a one-line message on bad
input or usage (no traceback). Commands:

* ``aquaflag detect FILE``  run methods on a file, write tables and plots
* ``aquaflag run -c qc.toml FILE``  apply a QC configuration
* ``aquaflag init FILE``  write a commented starter configuration for FILE
* ``aquaflag methods [NAME]``  list methods, or show one with its parameters
* ``aquaflag demo``  generate demo data, run all four seed methods, write everything
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ._version import __version__
from .errors import AquaflagError

__all__ = ["main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="aquaflag")
def cli() -> None:
    """Find, flag and clean outliers in water-quality monitoring time series."""


def _read_options(func):
    """Options shared by the commands that read a data file (see aquaflag.io.read)."""
    options = [
        click.option("--encoding", default=None, help="File encoding (default: UTF-8, else CP949)."),
        click.option("--date-column", default=None, help="Name of the date column (default: detected)."),
        click.option("--censored", type=click.Choice(["missing", "limit", "half"]), default="missing",
                     show_default=True, help="Values like '<0.5': missing, at the limit, or half the limit."),
        click.option("--duplicates", type=click.Choice(["mean", "first", "last", "error"]), default="mean",
                     show_default=True, help="Rows sharing a timestamp: average them, keep one, or stop."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _output_options(func):
    """Options shared by the commands that write results: folder, report, plots, quiet."""
    options = [
        click.option("-o", "--out", type=click.Path(file_okay=False, path_type=Path),
                     default=Path("aquaflag-out"), show_default=True, help="Output folder."),
        click.option("--report", "report", type=click.Path(dir_okay=False, path_type=Path),
                     default=None, help="Also write the interactive HTML report to this file."),
        click.option("--lang", type=click.Choice(["en", "ko"]), default="en", show_default=True,
                     help="Language of the report."),
        click.option("--plots/--no-plots", default=True, show_default=True, help="Write plots/*.png."),
        click.option("-q", "--quiet", is_flag=True, help="Print only errors."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def _read(file, encoding, date_column, censored, duplicates):
    from .io import read

    return read(file, encoding=encoding, date_column=date_column, censored=censored,
                duplicates=duplicates)


def _split_columns(columns: tuple[str, ...]) -> list[str] | None:
    out = [c.strip() for arg in columns for c in arg.split(",") if c.strip()]
    return out or None


@cli.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("-m", "--method", "methods", multiple=True, default=("seed",), show_default=True,
              help="Method name, or 'seed' for the four seed methods. Repeat for several.")
@click.option("-t", "--threshold", type=float, default=None,
              help="The method's threshold (only with a single --method).")
@click.option("--columns", multiple=True,
              help="Columns to evaluate (names or glob patterns like 'pH*'; comma-separated or repeated).")
@_read_options
@_output_options
def detect(file, methods, threshold, columns, out, encoding, date_column, censored, duplicates,
           report, lang, plots, quiet):
    """Detect outliers in FILE (CSV, Excel or Parquet) and write the results to --out."""
    from .engine import evaluate
    from .rules import rules_for

    data = _read(file, encoding, date_column, censored, duplicates)
    params = {} if threshold is None else {"threshold": threshold}
    method = list(methods) if len(methods) > 1 else methods[0]
    if params and (len(methods) > 1 or method in ("seed", "all")):
        raise click.UsageError("--threshold needs a single --method (its meaning differs between methods)")
    with _Progress("evaluating series", quiet) as progress:
        result = evaluate(data, rules_for(method, **params), columns=_split_columns(columns),
                          progress=progress)
    _finish(result, out, plots=plots, quiet=quiet, report=report, lang=lang)


@cli.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("-c", "--config", "config", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="QC configuration (TOML); `aquaflag init FILE` writes a starter.")
@click.option("--flags", "prior", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Existing flags (a flags.csv of QARTOD codes) to respect.")
@click.option("--columns", multiple=True, help="Restrict to these columns (names or glob patterns).")
@click.option("--engine", type=click.Choice(["serial", "dask"]), default="serial", show_default=True,
              help="Evaluate series here, or on Dask (pip install 'aquaflag[dask]').")
@click.option("--scheduler", default=None,
              help="Dask scheduler address (default with --engine dask: a local cluster).")
@_read_options
@_output_options
def run(file, config, out, prior, columns, engine, scheduler, encoding, date_column, censored,
        duplicates, report, lang, plots, quiet):
    """Apply the QC configuration --config to FILE and write flags, provenance and cleaned data."""
    from .config import load
    from .engine import run as run_config

    if scheduler and engine != "dask":
        raise click.UsageError("--scheduler goes with --engine dask")
    qc = load(config)  # validate the configuration before reading any data
    data = _read(file, encoding, date_column, censored, duplicates)
    prior_flags = _read_prior(prior, data) if prior else None
    with _Progress("evaluating series", quiet) as progress:
        result = run_config(data, qc, columns=_split_columns(columns), prior_flags=prior_flags,
                            engine=engine, scheduler=scheduler, progress=progress)
    _finish(result, out, plots=plots, quiet=quiet, report=report, lang=lang,
            config_text=qc.text)


class _Progress:
    """A progress bar on stderr for runs over many series; silent when quiet or short."""

    def __init__(self, label: str, quiet: bool, minimum: int = 8) -> None:
        self.label, self.quiet, self.minimum, self.bar, self.done = label, quiet, minimum, None, 0

    def __call__(self, done: int, total: int) -> None:
        if self.quiet or total < self.minimum:
            return
        if self.bar is None:
            self.bar = click.progressbar(length=total, label=self.label, file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(done - self.done)
        self.done = done

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)


def _read_prior(path: Path, data):
    import pandas as pd

    from .errors import InputError

    try:
        prior = pd.read_csv(path, index_col=0, encoding="utf-8-sig")
    except FileNotFoundError:
        raise InputError(f"{path}: flags file not found") from None
    if isinstance(data.index, pd.DatetimeIndex):
        prior.index = pd.to_datetime(prior.index, errors="coerce")
    prior = prior[[c for c in prior.columns if c in data.columns]]
    return prior


@cli.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("-o", "--out", type=click.Path(dir_okay=False, path_type=Path), default=Path("qc.toml"),
              show_default=True, help="Where to write the starter configuration.")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@click.option("--template", type=click.Choice(["weekly", "sensor"]), default=None,
              help="Shipped configuration to start from (default: chosen from the time step).")
@_read_options
def init(file, out, force, template, encoding, date_column, censored, duplicates):
    """Write a commented starter QC configuration for FILE (weekly or sensor data)."""
    from .config import starter

    if out.exists() and not force:
        raise click.UsageError(f"{out} exists; choose another --out or pass --force")
    data = _read(file, encoding, date_column, censored, duplicates)
    out.write_text(starter(data, source=file.name, template=template), encoding="utf-8")
    click.echo(f"wrote {out}: edit it, then run `aquaflag run -c {out} {file}`")


def _finish(result, out: Path, *, plots: bool, quiet: bool, report: Path | None = None,
            lang: str = "en", config_text: str | None = None) -> None:
    from .outputs import write_outputs

    say = (lambda *a, **k: None) if quiet else click.echo
    if result.source is not None:
        for line in result.source.messages():
            say(f"note: {line}")
    for col, why in result.skipped.items():
        say(f"note: column {col!r} not evaluated: {why}")
    for line in result.notes:
        say(f"note: {line}")
    with _Progress("writing plots", quiet) as progress:
        counter = iter(range(1, len(result.columns) + 1))
        paths = write_outputs(result, out, plots=plots,
                              progress=lambda column: progress(next(counter), len(result.columns)))
    say(_summary_text(result))
    say(f"\nwrote {', '.join(p.name for p in paths.values())} to {out}/")
    if report is not None:
        from .report import write_report

        path = write_report(result, report, lang=lang, config_text=config_text)
        if not quiet:
            click.echo(f"report: {path}")


def _summary_text(result) -> str:
    import pandas as pd

    summary = result.summary
    if summary.empty:
        return "no column evaluated"
    checked = summary[summary["rule"] != ""]
    table = checked.pivot_table(index="column", columns="rule", values="outliers",
                                aggfunc="sum", sort=False)
    table = table[[m for m in result.labels if m in table.columns]]
    evaluated = summary.groupby("column", sort=False)["evaluated"].max()
    table.insert(0, "evaluated", evaluated)
    table.loc["total"] = table.sum()
    # a rule that does not apply to a column has no count there: shown as "-"
    table = table.apply(lambda col: col.map(lambda v: "-" if pd.isna(v) else str(int(v))))
    lines = ["outliers per column and method:", table.to_string()]
    notes = summary[summary["note"] != ""]
    for (column, note), group in notes.groupby(["column", "note"], sort=False):
        methods = ", ".join(group["rule"]) or "no rule"
        lines.append(f"  {column} ({methods}): {note}")
    return "\n".join(lines)


@cli.command()
@click.argument("name", required=False)
def methods(name):
    """List the methods, or show one method's parameters, defaults and formula."""
    from . import registry

    if name is None:
        rows = [(s.name, s.family, s.summary) for s in registry.specs()]
        width = max(len(r[0]) for r in rows)
        fam = max(len(r[1]) for r in rows)
        for n, f, s in rows:
            click.echo(f"{n:<{width}}  {f:<{fam}}  {s}")
        click.echo("\n`aquaflag methods NAME` shows a method's parameters and formula.")
        return
    spec = registry.get(name)
    click.echo(f"{spec.name} ({spec.family}): {spec.summary}\n")
    click.echo(f"  rule: {spec.formula}")
    click.echo(f"  default severity: {spec.default_severity}")
    if spec.params:
        click.echo("  parameters:")
        for p in spec.params.values():
            click.echo(f"    {p.name} = {p.default!r}   ({p.constraint.describe()})")
    else:
        click.echo("  parameters: none")


@cli.command()
@click.option("-o", "--out", type=click.Path(file_okay=False, path_type=Path),
              default=Path("aquaflag-demo"), show_default=True, help="Output folder.")
@click.option("--seed", type=int, default=2016, show_default=True, help="Random seed of the demo data.")
@click.option("--korean", is_flag=True, help="Use Korean column names (수온(문의), ...).")
@click.option("--lang", type=click.Choice(["en", "ko"]), default="en", show_default=True,
              help="Language of the report.")
@click.option("--plots/--no-plots", default=True, show_default=True, help="Write plots/*.png.")
@click.option("-q", "--quiet", is_flag=True, help="Print only errors.")
def demo(out, seed, korean, lang, plots, quiet):
    """Generate the demo data (3 Daecheong stations x 4 parameters, weekly 2016-2023), run all four methods."""
    from .config import parse, starter
    from .datasets import demo as make_demo
    from .datasets import demo_truth
    from .engine import detect as run_detect
    from .engine import run as run_config
    from .io import write
    from .report import write_report

    out.mkdir(parents=True, exist_ok=True)
    data = make_demo(seed, korean=korean)
    write(data, out / "demo_data.csv")
    truth = demo_truth(seed, korean=korean)
    truth.to_csv(out / "demo_truth.csv", index=False, encoding="utf-8-sig")
    result = run_detect(data, method="seed")
    _finish(result, out, plots=plots, quiet=True)
    report = write_report(result, out / "report.html", lang=lang)
    if not quiet:
        click.echo(_summary_text(result))
        click.echo("\ninjected anomalies found, per method (of "
                   f"{len(truth)}): " + ", ".join(
                       f"{m} {_found(result.mask_of(m), truth)}" for m in result.labels))
        seasonal = run_config(data, parse(starter(data)))
        click.echo(f"a season-aware QC configuration finds {_found(seasonal.mask, truth)} of {len(truth)}: "
                   f"aquaflag init {out / 'demo_data.csv'} && aquaflag run -c qc.toml {out / 'demo_data.csv'}")
        click.echo(f"demo data: {out / 'demo_data.csv'}  (injected anomalies: {out / 'demo_truth.csv'})")
        click.echo(f"tables: {out / 'summary.csv'}, {out / 'outliers.csv'}, {out / 'flags.csv'}"
                   + (f"; figures: {out / 'plots'}/" if plots else ""))
        click.echo(f"report: {report}  (open it in a browser)")


def _found(mask, truth) -> int:
    """How many truth cells (column, time) the mask flags."""
    return int(sum(bool(mask.at[t, c]) for c, t in zip(truth["column"], truth["time"])))


def main(argv: list[str] | None = None) -> int:
    """Run the command line with ``argv``; return the exit code."""
    try:
        cli.main(args=argv, prog_name="aquaflag", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 1
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except AquaflagError as exc:
        click.echo(f"aquaflag: error: {exc}", err=True)
        return 2
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        return 130
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
