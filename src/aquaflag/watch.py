"""Watch mode: judge logger files as they arrive in a folder, or rows as they arrive in a table.

``aquaflag watch FOLDER --store S -c qc.toml`` (or :func:`watch`) polls a folder
(or a database table) and passes every new file (or the new rows) to
:func:`aquaflag.ingest.ingest`, then evaluates the alarms
(:mod:`aquaflag.alarms`); every ``check_every`` seconds it also runs the
periodic alarm check (no data, redeliveries).

When a file is taken (half-written files)
------------------------------------------
A file in the folder matching the patterns (default ``*.csv *.txt *.xlsx *.xls
*.parquet``; names starting with ``.`` or ``~`` and ending in ``.tmp``,
``.part``, ``.partial``, ``.crdownload``, ``.filepart`` are never taken) is
taken when **all** of these hold:

1. its modification time is at least ``settle`` seconds old (default 5 s): no
   one has written to it for ``settle`` seconds (and its size and modification
   time do not change while it is copied, see below);
2. a ``.csv``/``.txt`` file ends with a line break (a writer stopped mid-line
   is still writing), unless it has been unchanged for ``10 x settle`` (for
   loggers that omit the last line break);
3. it reads completely (:func:`aquaflag.read`); one that does not is reported
   once and tried again when it changes.

The file is copied to a private temporary file first, and the copy is judged
(and fingerprinted), so the bytes judged are the bytes fingerprinted even if a
writer touches the file afterwards. The safest way for a writer remains to
write under a temporary name (``x.csv.part``) and rename when done.

A file is judged once, exactly (restarts)
-----------------------------------------
Its content fingerprint (SHA-256) is recorded in the store in the same
transaction as the run that judged it (:meth:`aquaflag.store.Store.record_run`).
A watcher killed before that commit leaves no trace, and judges the file again
when it restarts; one killed after it finds the fingerprint and skips the file.
The same content under another name is skipped too. A file that changes after
it was judged (a logger appending to it) is a new content: it is judged again;
values already stored are identical (raw values are immutable) and are judged
as revisions; the new ones as new values.

Tables
------
With an SQLAlchemy URL instead of a folder (``--table T --time-column C``),
the rows of ``T`` whose time is later than the newest value the store holds for
the table's series are read (oldest first, ``batch_rows`` at a time), as a wide
frame: one column per series (every numeric column but the time column, or
``columns``). The store's newest time is committed with the run, so a restart
neither loses nor re-judges rows. Rows inserted later with times older than
that are not read.

Stopping
--------
:meth:`Watcher.run` returns when ``stop`` is set. ``aquaflag watch`` sets it on
SIGINT (exit 130) or SIGTERM (exit 0): the file being judged is finished
first; a second signal interrupts at once (the batch is then rolled back).
"""

from __future__ import annotations

import fnmatch
import os
import shutil
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping, Sequence

import pandas as pd

from .config import Config
from .config import load as load_config
from .errors import AquaflagError, ConfigError, InputError, ParameterError

__all__ = ["Watcher", "FolderSource", "TableSource", "Processed", "watch", "PATTERNS"]

#: Files a folder watcher takes by default.
PATTERNS = ("*.csv", "*.txt", "*.xlsx", "*.xls", "*.parquet")
#: Names never taken: being written by a tool that renames when done, or editor backups.
_IGNORED = (".*", "~*", "*~", "*.tmp", "*.part", "*.partial", "*.crdownload", "*.filepart", "*.swp")
_TEXT = (".csv", ".txt")


@dataclass
class Processed:
    """What the watcher did with one file or table batch.

    Attributes
    ----------
    source : str
        The file path or ``table NAME``.
    ingested : Ingested or None
        What :func:`aquaflag.ingest.ingest` returned (None when skipped or failed).
    alarms : list of Event
        Alarm events of the batch.
    skipped : str or None
        Why nothing was judged (already judged, nothing new).
    error : str or None
        Why it could not be judged (one line); the watcher goes on.
    """

    source: str
    ingested: Any = None
    alarms: list = field(default_factory=list)
    skipped: str | None = None
    error: str | None = None


# --------------------------------------------------------------------------------- folder
@dataclass
class _Seen:
    size: int
    mtime_ns: int
    state: str = "new"  # new | done | bad
    message: str = ""


class FolderSource:
    """The files of a folder, each taken once it is complete (see the module docstring).

    Parameters
    ----------
    folder : path
        The folder to watch (it must exist).
    patterns : sequence of str
        Glob patterns of the files to take (case-insensitive).
    settle : float
        Seconds a file must stay unchanged before it is taken.
    recursive : bool
        Also watch sub-folders.
    """

    def __init__(self, folder, *, patterns: Sequence[str] = PATTERNS, settle: float = 5.0,
                 recursive: bool = False) -> None:
        self.folder = Path(folder)
        if not self.folder.is_dir():
            raise InputError(f"{self.folder}: no such folder to watch; create it or give the folder "
                             "the logger files arrive in")
        if settle < 0:
            raise ParameterError(f"settle must be >= 0 seconds; got {settle}")
        self.patterns = tuple(p.lower() for p in patterns)
        self.settle = float(settle)
        self.recursive = recursive
        self._seen: dict[Path, _Seen] = {}

    def __str__(self) -> str:
        return str(self.folder)

    def _candidates(self) -> list[Path]:
        walk = self.folder.rglob("*") if self.recursive else self.folder.iterdir()
        out = []
        for p in walk:
            name = p.name.lower()
            if any(fnmatch.fnmatchcase(name, pat) for pat in _IGNORED):
                continue
            if any(fnmatch.fnmatchcase(name, pat) for pat in self.patterns):
                out.append(p)
        return sorted(out, key=lambda p: (_mtime(p), str(p)))

    def ready(self, now: float | None = None) -> list[Path]:
        """Files complete by the rules of the module docstring (oldest first)."""
        now = time.time() if now is None else now
        out = []
        for path in self._candidates():
            try:
                st = path.stat()
            except FileNotFoundError:
                continue
            if not path.is_file():
                continue
            seen = self._seen.get(path)
            if seen is not None and (seen.size, seen.mtime_ns) != (st.st_size, st.st_mtime_ns):
                seen = None  # changed since the previous poll: a new content
            if seen is None:
                seen = self._seen[path] = _Seen(st.st_size, st.st_mtime_ns)
            if seen.state != "new":
                continue
            age = now - st.st_mtime_ns / 1e9
            if age < self.settle:
                continue
            if path.suffix.lower() in _TEXT and st.st_size and not _ends_with_newline(path) \
                    and age < 10 * self.settle:
                continue
            out.append(path)
        for gone in [p for p in self._seen if not p.exists()]:
            del self._seen[gone]
        return out

    def mark(self, path: Path, state: str, message: str = "") -> None:
        """Remember what became of ``path`` (``done`` or ``bad``) until it changes."""
        if path in self._seen:
            self._seen[path].state = state
            self._seen[path].message = message

    def snapshot(self, path: Path) -> tuple[Path, Path] | None:
        """A private copy of ``path`` (same suffix), or None when it changed while copied."""
        before = path.stat()
        folder = Path(tempfile.mkdtemp(prefix="aquaflag-watch-"))
        copy = folder / path.name
        shutil.copyfile(path, copy)
        after = path.stat()
        if (before.st_size, before.st_mtime_ns) != (after.st_size, after.st_mtime_ns) or \
                copy.stat().st_size != after.st_size:
            shutil.rmtree(folder, ignore_errors=True)
            self._seen[path] = _Seen(after.st_size, after.st_mtime_ns)
            return None
        return folder, copy


def _mtime(path: Path) -> int:
    try:
        return path.stat().st_mtime_ns
    except OSError:
        return 0


def _ends_with_newline(path: Path) -> bool:
    try:
        with open(path, "rb") as f:
            f.seek(-1, os.SEEK_END)
            return f.read(1) in (b"\n", b"\r")
    except OSError:
        return False


# --------------------------------------------------------------------------------- table
class TableSource:
    """New rows of a database table, read as a wide frame (see the module docstring).

    Parameters
    ----------
    url : str
        SQLAlchemy URL of the database holding the table (``sqlite:///logger.db``,
        ``postgresql+psycopg://...``).
    table : str
        The table (``schema.table`` for another schema).
    time_column : str
        The column of time stamps (a timestamp type; or ISO text in SQLite).
    columns : sequence of str, optional
        The value columns (default: every numeric column but the time column).
    batch_rows : int
        Most rows read in one batch.
    """

    def __init__(self, url: str, table: str, time_column: str, *, columns: Sequence[str] | None = None,
                 batch_rows: int = 50_000) -> None:
        from .store._db import require

        require("sqlalchemy", "store")
        import sqlalchemy as sa

        self.url, self.table_name, self.time_column = url, table, time_column
        self.batch_rows = int(batch_rows)
        self.more = False
        try:
            self.engine = sa.create_engine(url)
        except (sa.exc.ArgumentError, ImportError) as exc:
            raise InputError(f"{url}: not a database URL SQLAlchemy can open ({exc})") from None
        schema, _, name = table.rpartition(".")
        try:
            self.table = sa.Table(name, sa.MetaData(), schema=schema or None, autoload_with=self.engine)
        except sa.exc.NoSuchTableError:
            raise InputError(f"{self.display}: no table {table!r} in the database") from None
        except sa.exc.OperationalError as exc:
            raise InputError(f"{self.display}: cannot open the database ({_first_line(exc)})") from None
        names = [c.name for c in self.table.columns]
        if time_column not in names:
            raise InputError(f"table {table!r} has no column {time_column!r}; columns: {', '.join(names)}")
        if columns:
            missing = [c for c in columns if c not in names]
            if missing:
                raise InputError(f"table {table!r} has no column {missing[0]!r}; columns: {', '.join(names)}")
            self.columns = list(columns)
        else:
            self.columns = [c.name for c in self.table.columns if c.name != time_column and _numeric(c.type)]
        if not self.columns:
            raise InputError(f"table {table!r} has no numeric value column besides {time_column!r}; "
                             "name them with --columns")

    @property
    def display(self) -> str:
        import sqlalchemy as sa

        return sa.engine.make_url(self.url).render_as_string(hide_password=True)

    def __str__(self) -> str:
        return f"table {self.table_name}"

    def new_rows(self, store) -> pd.DataFrame | None:
        """Rows newer than the newest value the store holds for the table's series (None: none)."""
        import sqlalchemy as sa

        catalog = store.series()
        have = catalog[catalog["name"].isin(self.columns)]["last"].dropna()
        mark = have.max() if len(have) else None
        t = self.table.c[self.time_column]
        q = sa.select(t, *[self.table.c[c] for c in self.columns]).order_by(t).limit(self.batch_rows)
        if mark is not None:
            q = q.where(t > _bind_time(mark))
        with self.engine.connect() as conn:
            rows = conn.execute(q).all()
        if not rows:
            return None
        frame = pd.DataFrame(rows, columns=[self.time_column, *self.columns])
        times = pd.to_datetime(frame[self.time_column], errors="coerce")
        if times.isna().any():
            bad = frame[self.time_column][times.isna()].iloc[0]
            raise InputError(f"table {self.table_name!r}: {self.time_column} holds {bad!r}, not a time")
        frame.index = pd.DatetimeIndex(times, name="time")
        frame = frame.drop(columns=[self.time_column]).apply(pd.to_numeric, errors="coerce")
        if mark is not None:
            mark_ts = pd.Timestamp(mark)
            if frame.index.tz is None and mark_ts.tz is not None:
                mark_ts = mark_ts.tz_localize(None)
            elif frame.index.tz is not None and mark_ts.tz is None:
                mark_ts = mark_ts.tz_localize(frame.index.tz)
            newer = frame.index > mark_ts
            if not newer.any():
                raise InputError(
                    f"table {self.table_name!r}: the database compares {self.time_column} as text in "
                    f"another format than time stamps (rows after {mark_ts} come back as older); store "
                    "it as a TIMESTAMP column, or as 'YYYY-MM-DD HH:MM:SS' text")
            frame = frame[newer]
        self.more = len(rows) == self.batch_rows
        if self.more and frame.index.nunique() > 1:
            frame = frame[frame.index < frame.index.max()]  # the last time may continue past the limit
        return frame.groupby(level=0).mean() if frame.index.has_duplicates else frame


def _numeric(type_) -> bool:
    import sqlalchemy as sa

    return isinstance(type_, (sa.Integer, sa.Float, sa.Numeric)) and not isinstance(type_, sa.Boolean)


def _bind_time(ts) -> Any:
    ts = pd.Timestamp(ts)
    return ts.to_pydatetime()


def _first_line(exc: BaseException) -> str:
    return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__


# --------------------------------------------------------------------------------- watcher
class Watcher:
    """Ingest what a source brings, evaluate the alarms, and check for silence periodically.

    Parameters
    ----------
    store : Store, path or URL
        The QC store.
    config : Config or path
        The QC configuration (rules and alarms).
    source : FolderSource or TableSource
        Where new data come from.
    reference : str
        Passed to :func:`aquaflag.ingest.ingest`.
    rejudge : bool
        When ``config`` is not the store's live configuration: re-judge the
        stored record with it once, at start (else a :class:`ConfigError`).
    read_args : dict, optional
        Arguments of :func:`aquaflag.read` for the files.
    check_every : float
        Seconds between periodic alarm checks (no data, redeliveries).
    on_processed : callable, optional
        Called with each :class:`Processed`.
    say : callable, optional
        Called with one-line notes (store unavailable, ...).
    """

    def __init__(self, store, config, source, *, reference: str = "90D", rejudge: bool = False,
                 read_args: Mapping[str, Any] | None = None, check_every: float = 60.0,
                 on_processed: Callable[[Processed], Any] | None = None,
                 say: Callable[[str], Any] | None = None) -> None:
        from .alarms import Alarms
        from .ingest import ingest

        if not hasattr(store, "record_run"):
            from .store import open_store

            store = open_store(store)
        self.store = store
        self.config = config if isinstance(config, Config) else load_config(config)
        self.source = source
        self.reference = reference
        self.read_args = dict(read_args or {})
        self.check_every = float(check_every)
        self.on_processed = on_processed or (lambda p: None)
        self.say = say or (lambda s: None)
        self.alarms = Alarms(store, self.config)
        self._last_check = float("-inf")
        self._backoff = 0.0
        # the configuration is checked (or the record re-judged) once, before any file
        empty = pd.DataFrame(index=pd.DatetimeIndex([], name="time"))
        ingest(self.store, empty, self.config, reference=reference, rejudge=rejudge)

    # ------------------------------------------------------------------ one poll
    def poll(self, *, now: float | None = None, stop: threading.Event | None = None) -> list[Processed]:
        """Take what is ready now; run the periodic check when due. Returns what was done."""
        done: list[Processed] = []
        try:
            if isinstance(self.source, TableSource):
                done += self._poll_table()
            else:
                for path in self.source.ready(now):
                    if stop is not None and stop.is_set():
                        break
                    item = self._take(path)
                    if item is not None:
                        done.append(item)
                        self.on_processed(item)
            if time.monotonic() - self._last_check >= self.check_every:
                self._last_check = time.monotonic()
                self._check()
            self._backoff = 0.0
        except _StoreDown as exc:
            self._backoff = min(60.0, max(1.0, self._backoff * 2))
            self.say(f"store unavailable ({exc}); trying again in {self._backoff:g} s")
        return done

    def _check(self) -> None:
        try:
            events = self.alarms.check()
        except Exception as exc:  # noqa: BLE001 - alarms never stop the watcher
            self.say(f"alarm check failed: {type(exc).__name__}: {_first_line(exc)}")
            return
        if events:
            self.on_processed(Processed(source="alarm check", alarms=events))

    def _take(self, path: Path) -> Processed | None:
        from .ingest import fingerprint, ingest
        from .io import read

        snap = self.source.snapshot(path)
        if snap is None:
            return None  # changed while copied: taken when it settles again
        folder, copy = snap
        item = Processed(source=str(path))
        try:
            digest = fingerprint(copy)
            if self._guard(lambda: self.store.is_ingested(digest)):
                item.skipped = "already judged (same content)"
                self.source.mark(path, "done")
                return item
            try:
                read(copy, **self.read_args)
            except AquaflagError as exc:
                self.source.mark(path, "bad", str(exc))
                item.error = f"cannot read it ({exc}); tried again when it changes"
                return item
            try:
                item.ingested = self._guard(lambda: ingest(self.store, copy, self.config, reference=self.reference,
                                                           source=str(path), read_args=self.read_args))
            except InputError as exc:
                if "already judged" in str(exc):  # another watcher took it meanwhile
                    item.skipped = "already judged (same content)"
                    self.source.mark(path, "done")
                    return item
                self.source.mark(path, "bad", str(exc))
                item.error = f"{exc}; tried again when it changes"
                return item
            except (ConfigError, _StoreDown):
                raise
            except AquaflagError as exc:
                self.source.mark(path, "bad", str(exc))
                item.error = f"{exc}; tried again when it changes"
                return item
            except Exception as exc:  # noqa: BLE001 - one bad file must not stop the service
                self.source.mark(path, "bad", repr(exc))
                item.error = (f"could not be judged ({type(exc).__name__}: {_first_line(exc)}; please report "
                              "it with the file); tried again when it changes")
                return item
            self.source.mark(path, "done")
            if item.ingested.run is None:
                item.skipped = "; ".join(item.ingested.notes) or "nothing new"
            item.alarms = self._alarm(item.ingested)
            return item
        finally:
            shutil.rmtree(folder, ignore_errors=True)

    def _poll_table(self) -> list[Processed]:
        from .ingest import ingest

        done = []
        while True:
            try:
                frame = self._guard(lambda: self.source.new_rows(self.store))
            except InputError as exc:
                item = Processed(source=str(self.source), error=str(exc))
                self.on_processed(item)
                done.append(item)
                return done
            if frame is None or frame.empty:
                return done
            item = Processed(source=f"{self.source} ({len(frame)} rows to {frame.index.max()})")
            try:
                item.ingested = self._guard(lambda: ingest(self.store, frame, self.config,
                                                           reference=self.reference, source=str(self.source)))
            except ConfigError:
                raise
            except AquaflagError as exc:
                item.error = str(exc)
                self.on_processed(item)
                done.append(item)
                return done
            if item.ingested.run is None:
                item.skipped = "; ".join(item.ingested.notes) or "nothing new"
                self.on_processed(item)
                done.append(item)
                return done  # rows without values: the store's last time does not move
            item.alarms = self._alarm(item.ingested)
            self.on_processed(item)
            done.append(item)
            if not self.source.more:
                return done

    def _alarm(self, ingested) -> list:
        try:
            return self.alarms.after_ingest(ingested)
        except Exception as exc:  # noqa: BLE001 - alarms never stop the watcher (the batch is stored)
            self.say(f"alarms not evaluated for this batch: {type(exc).__name__}: {_first_line(exc)}")
            return []

    @staticmethod
    def _guard(call: Callable[[], Any]) -> Any:
        """Run a store operation; a database that cannot be reached becomes :class:`_StoreDown`."""
        import sqlalchemy as sa

        try:
            return call()
        except (sa.exc.OperationalError, sa.exc.InterfaceError) as exc:
            raise _StoreDown(_first_line(exc)) from exc

    # ------------------------------------------------------------------ loop
    def run(self, stop: threading.Event, *, poll: float = 2.0) -> None:
        """Poll every ``poll`` seconds until ``stop`` is set."""
        while not stop.is_set():
            self.poll(stop=stop)
            stop.wait(max(poll, self._backoff))


class _StoreDown(Exception):
    """The store's database could not be reached; the watcher waits and tries again."""


def watch(target, store, config, *, stop: threading.Event, table: str | None = None,
          time_column: str | None = None, columns: Sequence[str] | None = None,
          patterns: Iterable[str] = PATTERNS, settle: float = 5.0, recursive: bool = False,
          poll: float = 2.0, **kwargs: Any) -> Watcher:
    """Watch a folder (or, with ``table``, a database table at URL ``target``) until ``stop`` is set.

    Other keyword arguments go to :class:`Watcher`. Returns the watcher.
    """
    source = _source(target, table=table, time_column=time_column, columns=columns,
                     patterns=tuple(patterns), settle=settle, recursive=recursive)
    watcher = Watcher(store, config, source, **kwargs)
    watcher.run(stop, poll=poll)
    return watcher


def _source(target, *, table, time_column, columns, patterns, settle, recursive):
    if table is not None or "://" in str(target):
        if table is None or time_column is None:
            raise ParameterError(f"{target}: watching a database needs the table and its time column "
                                 "(--table NAME --time-column NAME)")
        return TableSource(str(target), table, time_column, columns=columns)
    return FolderSource(target, patterns=patterns, settle=settle, recursive=recursive)
