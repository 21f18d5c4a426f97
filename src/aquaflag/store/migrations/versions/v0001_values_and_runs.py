"""Series, raw values in chunks, automatic runs with their flags and provenance.

Revision ID: 0001
Revises:
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "series",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("name", sa.String, nullable=False),
        sa.Column("variable", sa.String),
        sa.Column("variable_name", sa.String),
        sa.Column("station", sa.String),
        sa.Column("unit", sa.String),
        sa.Column("source", sa.String),
        sa.Column("tz", sa.String),
        sa.Column("created_us", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_series"),
        sa.UniqueConstraint("name", name="uq_series_name"),
    )
    op.create_table(
        "value_chunk",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("series_id", sa.Integer, nullable=False),
        sa.Column("t_first", sa.BigInteger, nullable=False),
        sa.Column("t_last", sa.BigInteger, nullable=False),
        sa.Column("n", sa.Integer, nullable=False),
        sa.Column("times", sa.LargeBinary, nullable=False),
        sa.Column("vals", sa.LargeBinary, nullable=False),
        sa.Column("added", sa.LargeBinary, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_value_chunk"),
        sa.ForeignKeyConstraint(["series_id"], ["series.id"], name="fk_value_chunk_series_id_series"),
    )
    op.create_index("ix_value_chunk_series_last", "value_chunk", ["series_id", "t_last"])
    op.create_table(
        "run",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("recorded_us", sa.BigInteger, nullable=False),
        sa.Column("aquaflag_version", sa.String, nullable=False),
        sa.Column("config_text", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_run"),
    )
    op.create_table(
        "run_rule",
        sa.Column("run_id", sa.Integer, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("label", sa.String, nullable=False),
        sa.Column("method", sa.String, nullable=False),
        sa.Column("severity", sa.String),
        sa.Column("parameters", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("run_id", "position", name="pk_run_rule"),
        sa.ForeignKeyConstraint(["run_id"], ["run.id"], name="fk_run_rule_run_id_run"),
    )
    op.create_table(
        "run_series",
        sa.Column("run_id", sa.Integer, nullable=False),
        sa.Column("series_id", sa.Integer, nullable=False),
        sa.Column("t_start", sa.BigInteger, nullable=False),
        sa.Column("t_end", sa.BigInteger, nullable=False),
        sa.Column("n_values", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("run_id", "series_id", name="pk_run_series"),
        sa.ForeignKeyConstraint(["run_id"], ["run.id"], name="fk_run_series_run_id_run"),
        sa.ForeignKeyConstraint(["series_id"], ["series.id"], name="fk_run_series_series_id_series"),
    )
    op.create_index("ix_run_series_series", "run_series", ["series_id", "run_id"])
    op.create_table(
        "run_flag_chunk",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("run_id", sa.Integer, nullable=False),
        sa.Column("series_id", sa.Integer, nullable=False),
        sa.Column("t_first", sa.BigInteger, nullable=False),
        sa.Column("t_last", sa.BigInteger, nullable=False),
        sa.Column("n", sa.Integer, nullable=False),
        sa.Column("times", sa.LargeBinary, nullable=False),
        sa.Column("codes", sa.LargeBinary, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_run_flag_chunk"),
        sa.ForeignKeyConstraint(["run_id"], ["run.id"], name="fk_run_flag_chunk_run_id_run"),
        sa.ForeignKeyConstraint(["series_id"], ["series.id"], name="fk_run_flag_chunk_series_id_series"),
    )
    op.create_index("ix_run_flag_chunk_series_last", "run_flag_chunk", ["series_id", "t_last"])
    op.create_index("ix_run_flag_chunk_run", "run_flag_chunk", ["run_id"])
    op.create_table(
        "provenance",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("run_id", sa.Integer, nullable=False),
        sa.Column("series_id", sa.Integer, nullable=False),
        sa.Column("time", sa.BigInteger, nullable=False),
        sa.Column("rule", sa.String, nullable=False),
        sa.Column("method", sa.String, nullable=False),
        sa.Column("parameters", sa.Text, nullable=False),
        sa.Column("flag", sa.SmallInteger, nullable=False),
        sa.Column("score", sa.Float),
        sa.Column("lower", sa.Float),
        sa.Column("upper", sa.Float),
        sa.PrimaryKeyConstraint("id", name="pk_provenance"),
        sa.ForeignKeyConstraint(["run_id"], ["run.id"], name="fk_provenance_run_id_run"),
        sa.ForeignKeyConstraint(["series_id"], ["series.id"], name="fk_provenance_series_id_series"),
    )
    op.create_index("ix_provenance_series_time", "provenance", ["series_id", "time"])
    op.create_index("ix_provenance_run", "provenance", ["run_id"])


def downgrade() -> None:
    for table in ("provenance", "run_flag_chunk", "run_series", "run_rule", "run", "value_chunk", "series"):
        op.drop_table(table)
