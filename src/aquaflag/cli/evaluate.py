"""``aquaflag evaluate``: score a QC run against expert labels (strict and PyHydroQC conventions)."""

from __future__ import annotations

from pathlib import Path

import click

from .options import read_data, read_options, read_prior, split_columns

__all__ = ["evaluate"]


@click.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--labels", "labels", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="Expert labels: a CSV of True/False per column, X_qual qualifier columns (an LRO "
                   "file), or the column,time,label rows `Store.export_labels` writes.")
@click.option("-c", "--config", "config", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Run this QC configuration on FILE and score what it flags.")
@click.option("--flags", "flags", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Or score an earlier run's flags.csv (QARTOD 3/4 = flagged).")
@click.option("--columns", multiple=True, help="Score these columns only (names or glob patterns).")
@click.option("--per-rule", is_flag=True, help="Also score each rule of the configuration alone.")
@click.option("--only-labelled", is_flag=True,
              help="Count only the values that have a label (long labels from a review).")
@click.option("--widen", "wf", type=click.IntRange(min=0), default=1, show_default=True,
              help="PyHydroQC's widening factor (points added to each event on both sides).")
@click.option("-o", "--out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write the score table to this CSV.")
@read_options
def evaluate(file, labels, config, flags, columns, per_rule, only_labelled, wf, out, **read_args):
    """Score what a QC configuration (or a flags.csv) flags in FILE against expert --labels.

    Prints, per column and pooled over the columns: strict point-wise
    precision/recall/F1, event-wise F1 (a labelled event is found when one of
    its points is flagged; a flagged run is right when it overlaps an event),
    and the figures in PyHydroQC's convention (events widened by --widen
    points each side; a detection overlapping a labelled event counts whole),
    comparable with the PyHydroQC study's published figures.
    """
    import pandas as pd

    from ..errors import InputError
    from ..metrics import evaluation_table, read_labels

    if (config is None) == (flags is None):
        raise click.UsageError("give either -c/--config (run it) or --flags (score an earlier run)")
    data = read_data(file, **read_args)
    wanted = split_columns(columns)
    lab, known = read_labels(labels, index=data.index)
    masks: dict[str, pd.DataFrame] = {}
    if config is not None:
        from ..config import load
        from ..engine import run as run_config

        qc = load(config)
        cols = wanted or [c for c in data.columns if c in lab.columns]
        if not cols:
            raise InputError(f"{labels}: no label column matches a column of {file.name} "
                             f"({', '.join(map(str, data.columns))})")
        result = run_config(data, qc, columns=cols)
        masks["all rules"] = result.mask
        if per_rule:
            for rule in result.labels:
                masks[rule] = result.mask_of(rule)
        values = result.data
    else:
        prior = read_prior(flags, data)
        if wanted:
            prior = prior[[c for c in prior.columns if c in set(data[wanted].columns)]]
        prior = prior.reindex(data.index)
        masks["flags"] = prior.isin([3, 4])
        values = data[prior.columns]
    counted = values.notna()
    if only_labelled:
        counted = counted & known.reindex(index=counted.index, columns=counted.columns, fill_value=False)
    tables = []
    for name, mask in masks.items():
        cols = [c for c in mask.columns if c in lab.columns]
        if not cols:
            continue
        t = evaluation_table(mask[cols], lab[cols], evaluated=counted[cols], wf=wf)
        t.insert(0, "rules", name)
        tables.append(t)
    if not tables:
        raise InputError(f"{labels}: no label column matches a scored column")
    table = pd.concat(tables, ignore_index=True)
    click.echo(_text(table))
    if out is not None:
        table.to_csv(out, index=False, encoding="utf-8")
        click.echo(f"\nwrote {out}")


def _text(table) -> str:
    show = table[["rules", "column", "n", "labelled", "flagged", "precision", "recall", "f1",
                  "events", "event_f1", "phq_f1", "phq_event_f1"]].copy()
    show.columns = ["rules", "column", "counted", "labelled", "flagged", "P", "R", "F1",
                    "events", "event F1", "PyHydroQC F1", "PyHydroQC event F1"]
    if show["rules"].nunique() == 1:
        show = show.drop(columns="rules")
    text = show.to_string(index=False, float_format=lambda v: f"{v:.3f}", na_rep="-")
    return (text + "\n\nF1: strict point-wise; event F1: a labelled event counts once, found when one "
            "of its points is flagged;\nPyHydroQC F1: events widened by one point each side, a "
            "detection overlapping a labelled event counts whole.")
