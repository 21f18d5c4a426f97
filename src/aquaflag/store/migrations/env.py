"""Alembic environment of the QC store.

The store runs the migrations itself (:func:`aquaflag.store._db.upgrade`) on a
connection it has already opened and locked; that connection arrives in
``config.attributes["connection"]``. There is no ``alembic.ini`` and no offline
(SQL script) mode.
"""

from __future__ import annotations

from alembic import context


def run_migrations() -> None:
    """Run the pending migrations on the connection the store handed over."""
    connection = context.config.attributes["connection"]
    context.configure(connection=connection, target_metadata=None, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()


if hasattr(context, "config"):  # imported by Alembic, not by a doctest collector
    run_migrations()
