"""Alembic migrations: fresh stores, older stores upgraded, newer stores refused."""

from __future__ import annotations

import threading

import pytest

from aquaflag.errors import InputError
from aquaflag.store import _db, _schema, open_store

from .helpers import frame


def test_a_fresh_store_is_at_head_and_matches_the_table_descriptions(store):
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    with store._w.connect() as conn:
        assert _db.current_revision(conn) == _db.HEAD
        diff = compare_metadata(MigrationContext.configure(conn), _schema.metadata)
    assert diff == []


def test_an_older_store_is_upgraded_and_keeps_its_data(target):
    from alembic import command

    write, read = _db.make_engines(_db.resolve_url(target))
    cfg, _ = _db._script_directory()
    with write.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "0001")  # a store of the first release: no ledger yet
        conn.execute(_schema.series.insert().values(name="x", created_us=1))
    write.dispose()
    with open_store(target) as store:
        assert store.series()["name"].tolist() == ["x"]
        store.add_values(frame(3, columns=("x",)))
        store.decide("x", "2021-01-02", action="reject", reviewer="kim", reason="ledger exists now")
        with store._w.connect() as conn:
            assert _db.current_revision(conn) == _db.HEAD


def test_a_store_from_a_newer_aquaflag_is_refused(target):
    from alembic.runtime.migration import MigrationContext

    open_store(target).close()
    write, _ = _db.make_engines(_db.resolve_url(target))
    with write.begin() as conn:
        version = MigrationContext.configure(conn)._version
        conn.execute(version.update().values(version_num="9999"))
    write.dispose()
    with pytest.raises(InputError, match="newer.*pip install -U"):
        open_store(target)


def test_opening_a_new_store_from_several_threads_creates_it_once(target):
    errors, stores = [], []

    def go():
        try:
            stores.append(open_store(target))
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=go) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    stores[0].add_values(frame(2))
    assert len(stores[-1].values("pH(A)")) == 2
    for s in stores:
        s.close()


def test_missing_extra_gives_the_install_line():
    with pytest.raises(ImportError, match=r"pip install 'aquaflag\[netcdf\]'"):
        _db.require("aquaflag_no_such_module", "netcdf")


def test_postgresql_urls_go_to_psycopg():
    assert _db.resolve_url("postgresql://u@h/db") == "postgresql+psycopg://u@h/db"
    assert _db.resolve_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    with pytest.raises(InputError, match="only sqlite"):
        _db.make_engines("mysql://u@h/db")


def test_the_database_refuses_to_change_or_delete_ledger_and_run_rows(store):
    import sqlalchemy as sa

    import aquaflag
    from aquaflag.store._schema import decision, provenance, run

    data = frame(30)
    data.iloc[3, 0] = 50.0
    store.record_run(aquaflag.detect(data, method="zscore", threshold=2.0))
    store.decide("pH(A)", data.index[3], action="accept", reviewer="kim", reason="real")
    for statement in (decision.update().values(reason="edited"), decision.delete(),
                      run.update().values(config_text=""), provenance.delete()):
        with pytest.raises(sa.exc.DBAPIError, match="append-only"):
            with store._w.begin() as conn:
                conn.execute(statement)
    assert store.decisions()["reason"].tolist() == ["real"]
