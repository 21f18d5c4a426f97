"""Alembic migrations of the QC store; run by :func:`aquaflag.store.open_store`, not by hand."""
