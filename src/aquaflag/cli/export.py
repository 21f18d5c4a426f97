"""``aquaflag export STORE OUT``: the reviewed data of a QC store, as a file.

Reads through the store only (:meth:`Store.export_csv`, :meth:`Store.export_netcdf`,
:meth:`Store.export_labels`); the file is written beside OUT and renamed into place,
so an interrupted export leaves the previous file or none.
"""

from __future__ import annotations

from pathlib import Path

import click

__all__ = ["export"]

_SUFFIXES = {".csv": "CSV", ".nc": "netCDF"}


@click.command()
@click.argument("store")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--labels", is_flag=True,
              help="Write the decisions as labels (column, time, label, reviewer, decided_at) for "
                   "`aquaflag evaluate` and `aquaflag tune`, instead of the values.")
@click.option("--as-of", "as_of", default=None, metavar="TIME",
              help="The data as they stood at TIME of the store's clock (UTC), e.g. '2026-01-31 17:00'.")
def export(store, out, labels, as_of):
    """Write every value of the QC store STORE with its final flag, why it has it, who decided
    and its approval level to OUT: .csv, or .nc (netCDF with CF flag variables)."""
    from ..io.write import atomic

    if "://" not in store and Path(store).exists() and Path(store).resolve() == out.resolve():
        raise click.UsageError(f"{out} is the store itself; choose another file to write")
    suffix = out.suffix.lower()
    if suffix not in _SUFFIXES:
        raise click.UsageError(f"{out}: write a .csv or a .nc (netCDF) file")
    if labels and suffix != ".csv":
        raise click.UsageError(f"{out}: labels are written as CSV; name the file *.csv")
    if "://" not in store and not Path(store).exists():
        raise click.UsageError(f"no store {store!r}: make one with `aquaflag run --store {store} -c qc.toml DATA` "
                               "(or `aquaflag demo`)")
    from ..store import open_store

    qc = open_store(store)
    with atomic(out) as tmp:
        if labels:
            qc.export_labels(tmp, as_of=as_of)
        elif suffix == ".csv":
            qc.export_csv(tmp, as_of=as_of)
        else:
            qc.export_netcdf(tmp, as_of=as_of)
    what = "the decisions as labels" if labels else f"{len(qc.series())} series"
    when = f" as of {as_of}" if as_of is not None else ""
    click.echo(f"wrote {what}{when} to {out} ({_SUFFIXES[suffix]})")
