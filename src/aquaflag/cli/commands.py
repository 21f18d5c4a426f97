"""The commands: ``detect``, ``run``, ``init``, ``methods``, ``demo``.

Each parses its options, calls the Python API and prints; none has logic of
its own beyond that.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from .display import Progress, found, say_notes, summary_text
from .options import output_options, read_data, read_options, read_prior, split_columns

__all__ = ["detect", "run", "init", "methods", "demo"]


@click.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("-m", "--method", "methods", multiple=True, default=("seed",), show_default=True,
              help="Method name, or 'seed' for the four seed methods. Repeat for several.")
@click.option("-t", "--threshold", type=float, default=None,
              help="The method's threshold (only with a single --method).")
@click.option("--columns", multiple=True,
              help="Columns to evaluate (names or glob patterns like 'pH*'; comma-separated or repeated).")
@read_options
@output_options
def detect(file, methods, threshold, columns, out, report, lang, plots, quiet, **read_args):
    """Detect outliers in FILE (CSV, Excel or Parquet) and write the results to --out."""
    from ..engine import evaluate
    from ..rules import rules_for

    params = {} if threshold is None else {"threshold": threshold}
    method = list(methods) if len(methods) > 1 else methods[0]
    if params and (len(methods) > 1 or method in ("seed", "all")):
        raise click.UsageError("--threshold needs a single --method (its meaning differs between methods)")
    rules = rules_for(method, **params)
    data = read_data(file, **read_args)
    with Progress("evaluating series", quiet) as progress:
        result = evaluate(data, rules, columns=split_columns(columns), progress=progress)
    _finish(result, out, plots=plots, quiet=quiet, report=report, lang=lang, protect=(file,))


@click.command()
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
@click.option("--store", "store", default=None,
              help="QC store (a file path for SQLite, or postgresql://...): respect technicians' "
                   "decisions and record the run (pip install 'aquaflag[store]').")
@click.option("--stream", is_flag=True,
              help="FILE is a partitioned Parquet dataset too large for memory: judge it part by "
                   "part and write each part's flags as Parquet at once (see aquaflag.stream).")
@read_options
@output_options
def run(file, config, out, prior, columns, engine, scheduler, store, stream, report, lang, plots,
        quiet, **read_args):
    """Apply the QC configuration --config to FILE and write flags, provenance and cleaned data."""
    from ..config import load
    from ..engine import run as run_config

    if scheduler and engine != "dask":
        raise click.UsageError("--scheduler goes with --engine dask")
    if store and prior:
        raise click.UsageError("--flags and --store both give earlier flags; use one "
                               "(the store keeps the technicians' decisions)")
    qc = load(config)  # validate the configuration before reading any data
    if stream:
        if store or prior or columns or report:
            raise click.UsageError("--stream writes flags part by part: it does not take --store, "
                                   "--flags, --columns or --report")
        _stream(file, qc, out, engine, scheduler, quiet, read_args)
        return
    data = read_data(file, **read_args)
    prior_flags = read_prior(prior, data) if prior else None
    recorded = None
    with Progress("evaluating series", quiet) as progress:
        if store:
            from ..stored_run import run_in_store

            done = run_in_store(store, data, qc, columns=split_columns(columns), engine=engine,
                                scheduler=scheduler, progress=progress)
            result, recorded = done.result, done.run
        else:
            result = run_config(data, qc, columns=split_columns(columns), prior_flags=prior_flags,
                                engine=engine, scheduler=scheduler, progress=progress)
    _finish(result, out, plots=plots, quiet=quiet, report=report, lang=lang,
            config_text=qc.text, protect=(file, config, prior, store))
    if recorded is not None and not quiet:
        from ..stored_run import decisions_note

        note = decisions_note(result)
        click.echo(f"recorded run {recorded} in {store}" + (f"; {note}" if note else ""))


@click.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("-o", "--out", type=click.Path(dir_okay=False, path_type=Path), default=Path("qc.toml"),
              show_default=True, help="Where to write the starter configuration.")
@click.option("--force", is_flag=True, help="Overwrite an existing file.")
@click.option("--template", type=click.Choice(["weekly", "sensor"]), default=None,
              help="Shipped configuration to start from (default: chosen from the time step).")
@read_options
def init(file, out, force, template, **read_args):
    """Write a commented starter QC configuration for FILE (weekly or sensor data)."""
    from ..config import starter

    if out.exists() and not force:
        raise click.UsageError(f"{out} exists; choose another --out or pass --force")
    if out.resolve() == Path(file).resolve():
        raise click.UsageError(f"--out {out} is the data file itself; choose another name")
    data = read_data(file, **read_args)
    out.write_text(starter(data, source=file.name, template=template), encoding="utf-8")
    click.echo(f"wrote {out}: edit it, then run `aquaflag run -c {out} {file}`")


def _stream(file, qc, out: Path, engine: str, scheduler, quiet: bool, read_args) -> None:
    from ..stream import run_streamed

    with Progress("judging parts", quiet) as progress:
        done = run_streamed(file, qc, out, read_args=_stream_args(read_args), engine=engine,
                            scheduler=scheduler, progress=progress)
    if not quiet:
        click.echo(f"judged {done.parts} part(s), {done.series} series, {done.values} values in "
                   f"{done.seconds:.1f} s; {done.flagged} flag(s); flags and provenance in "
                   f"{out}/flags/, {out}/provenance/; {out}/summary.csv")


def _stream_args(read_args: dict) -> dict:
    """The reader's options for a dataset, as ``read_data`` would pass them."""
    args = dict(read_args)
    station = args.pop("station_column", None)
    args["station_column"] = False if isinstance(station, str) and station.lower() == "none" else station
    args.pop("sheet", None)
    return args


def _finish(result, out: Path, *, plots: bool, quiet: bool, report: Path | None = None,
            lang: str = "en", config_text: str | None = None,
            protect: tuple[Any, ...] = ()) -> None:
    from ..outputs import write_outputs

    say = (lambda *a, **k: None) if quiet else click.echo
    say_notes(result, say)
    with Progress("writing plots", quiet) as progress:
        counter = iter(range(1, len(result.columns) + 1))
        written = write_outputs(result, out, plots=plots, protect=protect, config_text=config_text,
                                progress=lambda column: progress(next(counter), len(result.columns)))
    say(summary_text(result))
    say(f"\nwrote {', '.join(p.name for p in written.paths.values())} to {out}/")
    if written.replaced:
        say(f"replaced {_listed(written.replaced, out)} of an earlier run in {out}/")
    if written.removed:
        say(f"removed {_listed(written.removed, out)} an earlier run wrote that this run did not")
    if report is not None:
        from ..report import write_report

        path = write_report(result, report, lang=lang, config_text=config_text)
        say(f"report: {path}")


def _listed(paths: list[Path], out: Path, shown: int = 5) -> str:
    """``"3 file(s) (flags.csv, cleaned.csv, plots/pH_A.png)"``: a count and the first names."""
    names = ", ".join(str(p.relative_to(out)) for p in paths[:shown])
    more = f" and {len(paths) - shown} more" if len(paths) > shown else ""
    return f"{len(paths)} file(s) ({names}{more})"


@click.command()
@click.argument("name", required=False)
def methods(name):
    """List the methods, or show one method's parameters, defaults and formula."""
    from .. import registry

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
            if p.derived:
                click.echo(f"        None: derived from the series: {p.derived}")
    else:
        click.echo("  parameters: none")


@click.command()
@click.option("-o", "--out", type=click.Path(file_okay=False, path_type=Path),
              default=Path("aquaflag-demo"), show_default=True, help="Output folder.")
@click.option("--seed", type=int, default=2016, show_default=True, help="Random seed of the demo data.")
@click.option("--korean", is_flag=True, help="Use Korean column names (수온(문의), ...).")
@click.option("--lang", type=click.Choice(["en", "ko"]), default="en", show_default=True,
              help="Language of the report.")
@click.option("--plots/--no-plots", default=True, show_default=True, help="Write plots/*.png.")
@click.option("-q", "--quiet", is_flag=True, help="Print only errors.")
def demo(out, seed, korean, lang, plots, quiet):
    """Generate the demo data (3 Daecheong stations x 4 variables, weekly 2016-2023), run all four seed methods.

    Writes the tables, figures, the interactive report and a QC store to review
    in the browser; parts whose optional packages are missing are skipped with
    the one line saying what to install.
    """
    from .._optional import MissingDependency
    from ..config import parse, starter
    from ..datasets import demo as make_demo
    from ..datasets import demo_truth
    from ..engine import detect as run_detect
    from ..engine import run as run_config
    from ..io import write

    out.mkdir(parents=True, exist_ok=True)
    data = make_demo(seed, korean=korean)
    write(data, out / "demo_data.csv")
    truth = demo_truth(seed, korean=korean)
    truth.to_csv(out / "demo_truth.csv", index=False, encoding="utf-8-sig")
    result = run_detect(data, method="seed")
    _finish(result, out, plots=plots, quiet=True, protect=(out / "demo_data.csv", out / "demo_truth.csv"))
    extras: list[str] = []
    try:
        from ..report import write_report

        extras.append(f"report: {write_report(result, out / 'report.html', lang=lang)}  "
                      "(open it in a browser)")
    except MissingDependency as exc:
        extras.append(f"report: skipped; {exc}")
    try:
        from ..review import demo_hint, demo_store

        extras.append(demo_hint(demo_store(out, seed=seed, korean=korean), out / "demo_data.csv"))
    except MissingDependency as exc:
        extras.append(f"review: skipped; {exc}")
    if quiet:
        return
    click.echo(summary_text(result))
    click.echo("\ninjected anomalies found, per method (of "
               f"{len(truth)}): " + ", ".join(f"{m} {found(result.mask_of(m), truth)}"
                                              for m in result.labels))
    seasonal = run_config(data, parse(starter(data)))
    click.echo(f"a season-aware QC configuration finds {found(seasonal.mask, truth)} of {len(truth)}: "
               f"aquaflag init {out / 'demo_data.csv'} && aquaflag run -c qc.toml {out / 'demo_data.csv'}")
    click.echo(f"demo data: {out / 'demo_data.csv'}  (injected anomalies: {out / 'demo_truth.csv'})")
    click.echo(f"tables: {out / 'summary.csv'}, {out / 'outliers.csv'}, {out / 'flags.csv'}"
               + (f"; figures: {out / 'plots'}/" if plots else ""))
    for line in extras:
        click.echo(line)
