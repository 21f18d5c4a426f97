"""The append-only ledger of human decisions and approval levels.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "decision",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("series_id", sa.Integer, nullable=False),
        sa.Column("t_start", sa.BigInteger, nullable=False),
        sa.Column("t_end", sa.BigInteger, nullable=False),
        sa.Column("action", sa.String, nullable=False),
        sa.Column("flag", sa.SmallInteger),
        sa.Column("undoes", sa.Integer),
        sa.Column("reviewer", sa.String, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("decided_us", sa.BigInteger, nullable=False),
        sa.Column("auto_flag", sa.SmallInteger),
        sa.Column("n_values", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_decision"),
        sa.ForeignKeyConstraint(["series_id"], ["series.id"], name="fk_decision_series_id_series"),
        sa.ForeignKeyConstraint(["undoes"], ["decision.id"], name="fk_decision_undoes_decision"),
        sa.CheckConstraint("action IN ('accept', 'reject', 'set_flag', 'undo')", name="ck_decision_action"),
        sa.CheckConstraint("t_start <= t_end", name="ck_decision_range"),
    )
    op.create_index("ix_decision_series_end", "decision", ["series_id", "t_end"])
    op.create_table(
        "approval",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("series_id", sa.Integer, nullable=False),
        sa.Column("t_start", sa.BigInteger, nullable=False),
        sa.Column("t_end", sa.BigInteger, nullable=False),
        sa.Column("level", sa.String, nullable=False),
        sa.Column("reviewer", sa.String, nullable=False),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("decided_us", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_approval"),
        sa.ForeignKeyConstraint(["series_id"], ["series.id"], name="fk_approval_series_id_series"),
        sa.CheckConstraint("level IN ('raw', 'provisional', 'approved')", name="ck_approval_level"),
        sa.CheckConstraint("t_start <= t_end", name="ck_approval_range"),
    )
    op.create_index("ix_approval_series", "approval", ["series_id"])


def downgrade() -> None:
    op.drop_table("approval")
    op.drop_table("decision")
