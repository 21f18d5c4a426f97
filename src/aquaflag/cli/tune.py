"""``aquaflag tune``: tune a QC configuration's rules against expert labels."""

from __future__ import annotations

from pathlib import Path

import click

from .options import read_data, read_options, split_columns

__all__ = ["tune"]


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("-c", "--config", "config", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="The configuration to start from (its rules and parameters).")
@click.option("--labels", "labels", multiple=True, required=True,
              type=click.Path(dir_okay=False, path_type=Path),
              help="Expert labels for each FILE, in the same order (repeat for several files): "
                   "True/False per column, X_qual columns, or column,time,label rows.")
@click.option("-o", "--out", type=click.Path(dir_okay=False, path_type=Path), default=Path("tuned.toml"),
              show_default=True, help="Where to write the tuned configuration.")
@click.option("--force", is_flag=True, help="Overwrite an existing --out.")
@click.option("--folds", type=click.IntRange(min=2), default=4, show_default=True,
              help="Time blocks of the cross-validation that estimates the expected F1.")
@click.option("--objective", type=click.Choice(["both", "point", "event"]), default="both",
              show_default=True, help="Maximise the harmonic mean of point and event F1, or one of them.")
@click.option("--rounds", type=click.IntRange(min=1), default=2, show_default=True,
              help="Passes of the coordinate search over every parameter.")
@click.option("--min-gain", type=click.FloatRange(min=0, max=1, max_open=True), default=0.003,
              show_default=True, help="Keep a change only when it raises the objective by this much.")
@click.option("--consensus", is_flag=True,
              help="Keep a change only when it raises the objective on more of the labelled FILES it "
                   "changes than it lowers it on (sites whose technicians label differently).")
@click.option("--columns", multiple=True, help="Tune on these columns only (names or glob patterns).")
@click.option("--only-labelled", is_flag=True,
              help="Count only the values that have a label (long labels from a review).")
@click.option("-q", "--quiet", is_flag=True, help="Print only errors.")
@read_options
def tune(files, config, labels, out, force, folds, objective, rounds, min_gain, consensus, columns,
         only_labelled, quiet, **read_args):
    """Tune the rules of --config on labelled FILES and write the tuned configuration to --out.

    Each rule's parameters are searched over the values its declaration
    allows (`aquaflag methods NAME`), per variable, to best reproduce the
    labels; the expected point and event F1 on new data (time-blocked
    cross-validation) and their spread are written into the configuration
    as comments.
    """
    from ..config import load, parse
    from ..metrics import read_labels
    from ..tune import tune as run_tune

    if len(labels) != len(files):
        raise click.UsageError(f"give one --labels per data file: {len(files)} file(s), "
                               f"{len(labels)} --labels")
    if out.exists() and not force:
        raise click.UsageError(f"{out} exists; choose another --out or pass --force")
    if any(out.resolve() == Path(p).resolve() for p in (*files, config, *labels)):
        raise click.UsageError(f"--out {out} is one of the inputs; choose another name")
    qc = load(config)
    wanted = split_columns(columns)
    datasets = []
    for path, lab_path in zip(files, labels):
        data = read_data(path, **read_args)
        lab, known = read_labels(lab_path, index=data.index)
        datasets.append((data, lab, known) if only_labelled else (data, lab))
    say = (lambda *a, **k: None) if quiet else click.echo
    result = run_tune(datasets, qc, folds=folds, objective=objective, rounds=rounds, min_gain=min_gain,
                      consensus=consensus, columns=wanted,
                      progress=lambda msg: say(f"  {msg}", err=True))
    text = result.toml(source=str(config), labels=", ".join(map(str, labels)),
                       data=", ".join(map(str, files)))
    parse(text, source=str(out))  # what we write must load
    out.write_text(text, encoding="utf-8")
    e, ins, info = result.expected, result.in_sample, result.info
    say(f"tuned {info['rules']} rules on {info['series']} series ({info['labelled']} labelled points, "
        f"{info['events']} events) in {info['seconds']:.0f} s")
    say(f"expected on new data ({folds}-fold time-blocked CV): point F1 {e['point_f1']:.3f} "
        f"+/- {e['point_f1_sd']:.3f}, event F1 {e['event_f1']:.3f} +/- {e['event_f1_sd']:.3f}")
    say(f"in-sample (optimistic): point F1 {ins['point_f1']:.3f}, event F1 {ins['event_f1']:.3f}")
    for line in result.changes():
        say(f"  {line}")
    say(f"wrote {out}: aquaflag run -c {out} DATA")
