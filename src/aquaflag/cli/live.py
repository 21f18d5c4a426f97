"""Always-on commands: ``ingest``, ``watch``, ``alarms``.

Each parses its options, calls :mod:`aquaflag.ingest`, :mod:`aquaflag.watch`
and :mod:`aquaflag.alarms`, and prints one line per file or alarm.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from .options import read_options

__all__ = ["ingest", "watch", "alarms"]


def _store_option(func):
    return click.option("--store", "store", required=True,
                        help="The QC store: an SQLite file (created when missing) or a postgresql:// URL.")(func)


def _config_option(func):
    return click.option("-c", "--config", "config", required=True,
                        type=click.Path(dir_okay=False, path_type=Path),
                        help="QC configuration (TOML) with the rules and [[alarm]] tables.")(func)


def _reference_option(func):
    return click.option("--reference", default="90D", show_default=True,
                        help="History that whole-series rules are judged against (a time span).")(func)


def _read_args(read_args: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in read_args.items() if v is not None}


@click.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(dir_okay=False, path_type=Path))
@_store_option
@_config_option
@click.option("--rejudge", is_flag=True,
              help="The configuration changed: re-judge the whole stored record with it and make it live.")
@_reference_option
@click.option("--no-alarms", is_flag=True, help="Do not evaluate the [[alarm]] tables.")
@read_options
def ingest(files, store, config, rejudge, reference, no_alarms, **read_args):
    """Append FILE... to the QC store and judge what is new (each file once, by content)."""
    from ..config import load
    from ..errors import AquaflagError, ConfigError
    from ..ingest import ingest as ingest_batch
    from ..store import open_store

    qc = load(config)
    target = open_store(store)
    checker = None
    if qc.alarms and not no_alarms:
        from ..alarms import Alarms

        checker = Alarms(target, qc)
    failed = 0
    for i, path in enumerate(files):
        try:
            done = ingest_batch(target, path, qc, reference=reference, rejudge=rejudge and i == 0,
                                read_args=_read_args(read_args))
        except ConfigError:
            raise
        except AquaflagError as exc:
            click.echo(f"{path}: error: {exc}")
            failed += 1
            continue
        events = checker.after_ingest(done) if checker is not None and done.run is not None else []
        line = batch_line(done)
        click.echo(line if line.startswith(str(path)) else f"{path}: {line}")
        for event in events:
            click.echo(f"  {alarm_line(event)}")
    if failed:
        raise click.ClickException(f"{failed} of {len(files)} file(s) not judged (see above)")


def batch_line(done) -> str:
    """``96 new values, 12 revised; flags: 2 suspect, 1 fail (run 7)`` for one batch."""
    if done.run is None:
        return "; ".join(done.notes) or "nothing new"
    new, revised = sum(done.new_values.values()), sum(done.revised.values())
    codes = done.result.flags.to_numpy()
    present = done.result.data.notna().to_numpy()
    suspect, fail = int(((codes == 3) & present).sum()), int(((codes == 4) & present).sum())
    return (f"{new} new value(s), {revised} revised in {len(done.new_values)} series; "
            f"flags: {suspect} suspect, {fail} fail (run {done.run})")


def alarm_line(event) -> str:
    """``alarm OPEN 'DO fails' do(A): ... -> sent to webhook http://...`` (or the delivery error)."""
    sent = [t for t, d in event.delivered.items() if d.get("ok")]
    failed = [f"{t} ({d.get('error')})" for t, d in event.delivered.items() if not d.get("ok")]
    where = ("sent to " + ", ".join(sent)) if sent else ""
    if failed:
        where += ("; " if where else "") + "NOT delivered to " + "; ".join(failed) + " (sent again at the next check)"
    again = " (again)" if event.redelivery else ""
    return f"alarm {event.state.upper()}{again} {event.alarm!r} {event.message} -> {where or 'no target'}"


@click.command()
@click.argument("target")
@_store_option
@_config_option
@click.option("--table", default=None, help="With a database URL as TARGET: the table to read new rows from.")
@click.option("--time-column", default=None, help="With --table: the column of time stamps.")
@click.option("--columns", multiple=True, help="With --table: value columns (default: every numeric column).")
@click.option("--pattern", "patterns", multiple=True,
              help="Files to take (glob; repeat). Default: *.csv *.txt *.xlsx *.xls *.parquet.")
@click.option("--recursive", is_flag=True, help="Also watch sub-folders.")
@click.option("--settle", type=click.FloatRange(min=0), default=5.0, show_default=True,
              help="Seconds a file must stay unchanged before it is taken.")
@click.option("--poll", type=click.FloatRange(min=0.05), default=2.0, show_default=True,
              help="Seconds between looks at the folder or table.")
@click.option("--check-every", type=click.FloatRange(min=0), default=60.0, show_default=True,
              help="Seconds between checks for series gone silent (no_data alarms) and redeliveries.")
@click.option("--rejudge", is_flag=True,
              help="The configuration changed: re-judge the stored record with it once, at start.")
@_reference_option
@click.option("--once", is_flag=True, help="Take what is ready, run the alarm check, and exit (for cron).")
@click.option("-q", "--quiet", is_flag=True, help="Print only errors and alarms.")
@read_options
def watch(target, store, config, table, time_column, columns, patterns, recursive, settle, poll, check_every,
          rejudge, reference, once, quiet, **read_args):
    """Judge logger files as they arrive in the folder TARGET (or new rows of a table: TARGET is a URL).

    A file is taken once its size and modification time have not changed for
    --settle seconds (a text file must also end with a line break, or have been
    unchanged for 10 x --settle) and it reads completely; it is judged once,
    exactly, even across restarts. Stop with Ctrl-C (exit 130) or SIGTERM (exit 0).
    """
    import signal
    import threading

    from ..config import load
    from ..store import open_store
    from ..watch import PATTERNS, Watcher, _source

    qc = load(config)
    source = _source(target, table=table, time_column=time_column, columns=list(columns) or None,
                     patterns=tuple(patterns) or PATTERNS, settle=settle, recursive=recursive)
    say = (lambda s: None) if quiet else click.echo

    def show(item) -> None:
        if item.error:
            click.echo(f"{item.source}: error: {item.error}", err=True)
        elif item.skipped:
            say(f"{item.source}: {item.skipped}")
        elif item.ingested is not None:
            say(f"{item.source}: {batch_line(item.ingested)}")
        for event in item.alarms:
            click.echo(f"  {alarm_line(event)}")

    watcher = Watcher(open_store(store), qc, source, reference=reference, rejudge=rejudge,
                      read_args=_read_args(read_args), check_every=0 if once else check_every,
                      on_processed=show, say=lambda s: click.echo(f"note: {s}", err=True))
    if once:
        watcher.poll()
        return
    stop = threading.Event()
    received: list[int] = []

    def on_signal(signum, frame) -> None:
        if received:  # a second signal: stop now (the batch being written is rolled back)
            raise KeyboardInterrupt
        received.append(signum)
        stop.set()

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    say(f"watching {source} (store {watcher.store.url}); stop with Ctrl-C")
    try:
        watcher.run(stop, poll=poll)
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    say(f"stopped ({signal.Signals(received[0]).name})" if received else "stopped")
    if received and received[0] == signal.SIGINT:
        raise KeyboardInterrupt


@click.command()
@_store_option
@click.option("--log", "show_log", is_flag=True, help="Show the alarm log (every event) instead of open alarms.")
@click.option("--last", type=click.IntRange(min=1), default=50, show_default=True, help="With --log: how many events.")
@click.option("--check", "run_check", is_flag=True,
              help="Run the periodic check now (no_data alarms, redeliveries); needs -c.")
@click.option("-c", "--config", "config", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="QC configuration, for --check.")
def alarms(store, show_log, last, run_check, config):
    """Show the open alarms of the QC store (or its alarm log); --check runs the no-data check."""
    from ..store import open_store

    target = open_store(store)
    if run_check:
        if config is None:
            raise click.UsageError("--check needs the configuration: -c qc.toml")
        from ..alarms import Alarms

        for event in Alarms(target, config).check():
            click.echo(alarm_line(event))
    if show_log:
        log = target.alarm_log().tail(last)
        if log.empty:
            click.echo("no alarm events yet")
        for row in log.itertuples(index=False):
            targets = (row.delivered or {}).get("targets", {}) if isinstance(row.delivered, dict) else {}
            status = ", ".join(f"{t}: {'ok' if d.get('ok') else d.get('error')}" for t, d in targets.items())
            click.echo(f"{row.recorded_at:%Y-%m-%d %H:%M:%S} {row.state.upper():8} {row.key}: {row.message}"
                       f" [{status or 'no target'}]")
        return
    from ..alarms import open_alarms

    table = open_alarms(target)
    if table.empty:
        click.echo("no open alarms")
        return
    click.echo(f"{len(table)} open alarm(s):")
    for row in table.itertuples(index=False):
        click.echo(f"  since {row.since:%Y-%m-%d %H:%M} UTC  {row.key}: {row.message}")
