"""Connecting to a store: URL resolution, engine set-up per back-end, migrations.

SQLite (the default, a file beside the data): WAL journal (readers never block
the writer), ``synchronous=FULL`` (a committed transaction survives a crash of
the process or the machine), a 30 s busy timeout, foreign keys on; SQLAlchemy
emits ``BEGIN IMMEDIATE`` for writing transactions, so a writer takes the
database's write lock before it reads what it is going to change, and plain
``BEGIN`` for reading ones (a consistent snapshot).

PostgreSQL: reading transactions run at REPEATABLE READ (one snapshot);
writing ones at READ COMMITTED and lock the rows of the series they change
(``SELECT ... FOR UPDATE``), in id order, before reading them.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from .._optional import require as _require
from ..errors import InputError

__all__ = ["require", "resolve_url", "make_engines", "upgrade", "HEAD"]

#: The newest schema revision this code knows.
HEAD = "0005"

_MIGRATIONS = Path(__file__).with_name("migrations")
#: Key of the PostgreSQL advisory lock held while migrating.
_PG_LOCK = 0x617175_61666C  # "aqu" "afl"


def require(module: str, extra: str):
    """Import ``module`` or fail with the one-line install hint for ``extra``."""
    return _require(module, extra=extra, feature="the QC store")


def resolve_url(target: Any) -> str:
    """An SQLAlchemy URL for a path or URL; ``postgresql://`` goes to psycopg 3.

    Examples
    --------
    >>> resolve_url("postgresql://qc@db/aquaflag")
    'postgresql+psycopg://qc@db/aquaflag'
    >>> resolve_url("sqlite:///qc.sqlite")
    'sqlite:///qc.sqlite'
    """
    if isinstance(target, os.PathLike):
        target = os.fspath(target)
    if not isinstance(target, str) or not target.strip():
        raise InputError(f"a store is a file path or a database URL; got {target!r}")
    text = target.strip()
    for prefix in ("postgresql://", "postgres://"):
        if text.startswith(prefix):
            return "postgresql+psycopg://" + text[len(prefix):]
    if "://" in text:
        return text
    path = Path(text).expanduser()
    if path.is_dir():
        raise InputError(f"store path {text!r} is a folder; give a file such as {str(path / 'qc.sqlite')!r}")
    if not path.parent.exists():
        raise InputError(f"folder {str(path.parent)!r} of store {text!r} does not exist; create it first")
    return f"sqlite:///{path.resolve()}"


def make_engines(url: str):
    """``(write_engine, read_engine)`` for a resolved URL, with the settings above."""
    sa = require("sqlalchemy", "store")
    if url.startswith("postgresql"):
        require("psycopg", "postgresql")
        engine = sa.create_engine(url, pool_pre_ping=True)
        return engine, engine.execution_options(isolation_level="REPEATABLE READ")
    if not url.startswith("sqlite"):
        raise InputError(f"store URL {url!r}: only sqlite:/// and postgresql:// stores are supported")
    engine = sa.create_engine(url, connect_args={"timeout": 30.0})

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # SQLAlchemy emits BEGIN itself (below)
        cursor = dbapi_connection.cursor()
        for pragma in ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA foreign_keys=ON"):
            cursor.execute(pragma)
        cursor.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn):
        write = conn.get_execution_options().get("aquaflag_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")

    return engine.execution_options(aquaflag_write=True), engine


def _script_directory():
    script = require("alembic.script", "store")
    config = require("alembic.config", "store")
    cfg = config.Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    return cfg, script.ScriptDirectory.from_config(cfg)


def current_revision(conn) -> str | None:
    """The schema revision of an open store (None for an empty database)."""
    migration = require("alembic.runtime.migration", "store")
    return migration.MigrationContext.configure(conn).get_current_revision()


def upgrade(write_engine, where: str) -> str:
    """Bring the schema to :data:`HEAD`; refuse a store written by a newer aquaflag.

    Runs in one transaction that holds the store's write lock (SQLite) or an
    advisory lock (PostgreSQL), so two processes opening a new store at once
    create it once.
    """
    sa = require("sqlalchemy", "store")
    command = require("alembic.command", "store")
    cfg, scripts = _script_directory()
    with write_engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(sa.select(sa.func.pg_advisory_xact_lock(_PG_LOCK)))
        rev = current_revision(conn)
        known = {s.revision for s in scripts.walk_revisions()}
        if rev is not None and rev not in known:
            raise InputError(
                f"store {where} has schema revision {rev!r}, newer than this aquaflag knows "
                f"(newest: {HEAD!r}); it was written by a newer aquaflag: upgrade with "
                "pip install -U 'aquaflag[store]'"
            )
        if rev != HEAD:
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, "head")
    return HEAD


def insert_or_skip(conn, table, index_elements: list[str]):
    """An ``INSERT ... ON CONFLICT (index_elements) DO NOTHING`` for the connection's dialect."""
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table).on_conflict_do_nothing(index_elements=index_elements)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table).on_conflict_do_nothing(index_elements=index_elements)
