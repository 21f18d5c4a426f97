"""Always-on QC: the live configuration, the files ingested, the alarm log.

* ``live_config``: the configuration incremental runs apply, one row per
  change (the latest is active), with the reason (first use, re-judgement);
* ``ingested_file``: every file or table batch judged, by fingerprint, so a
  file is judged once, exactly, across restarts;
* ``alarm_event``: alarms raised and resolved (the latest event of a key is
  its state), with where they were sent.

All three are append-only, like the ledger.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TABLES = ("live_config", "ingested_file", "alarm_event")
MESSAGE = "is append-only in an aquaflag QC store: record a new entry instead"


def upgrade() -> None:
    op.create_table(
        "live_config",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("recorded_us", sa.BigInteger, nullable=False),
        sa.Column("config_text", sa.Text, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_live_config"),
    )
    op.create_table(
        "ingested_file",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("fingerprint", sa.String, nullable=False),
        sa.Column("n_values", sa.Integer, nullable=False),
        sa.Column("run_id", sa.Integer),
        sa.Column("recorded_us", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_ingested_file"),
        sa.ForeignKeyConstraint(["run_id"], ["run.id"], name="fk_ingested_file_run_id_run"),
        sa.UniqueConstraint("fingerprint", name="uq_ingested_file_fingerprint"),
    )
    op.create_table(
        "alarm_event",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("key", sa.Text, nullable=False),
        sa.Column("series", sa.Text),
        sa.Column("kind", sa.String, nullable=False),
        sa.Column("state", sa.String, nullable=False),
        sa.Column("message", sa.Text, nullable=False),
        sa.Column("recorded_us", sa.BigInteger, nullable=False),
        sa.Column("delivered", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_alarm_event"),
        sa.CheckConstraint("state IN ('open', 'resolved')", name="ck_alarm_event_state"),
    )
    op.create_index("ix_alarm_event_key", "alarm_event", ["key", "id"])
    if op.get_bind().dialect.name == "postgresql":
        for table in TABLES:  # the function comes from migration 0003
            op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION aquaflag_append_only()")
        return
    for table in TABLES:
        for event in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER {table}_no_{event.lower()} BEFORE {event} ON {table} "
                       f"BEGIN SELECT RAISE(ABORT, '{table} {MESSAGE}'); END")


def downgrade() -> None:
    for table in reversed(TABLES):
        op.drop_table(table)
