"""Always-on QC: the fitted parameters of the live configuration, per series and rule.

* ``live_fit``: for a live configuration (``live_config.id``), a series and a
  rule whose thresholds the configuration leaves to be derived from the series
  (a whole-series z-score, automatic spike and flat-line thresholds, ...), the
  explicit parameters fitted on the series' reference period, written in the
  same transaction as the run that judged the batch they were fitted on. One
  row per (configuration, series, rule): a refit is a new live configuration
  (a re-judgement), never an update.

Append-only, like the ledger.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-04
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

MESSAGE = "is append-only in an aquaflag QC store: a refit is a new live configuration (rejudge)"


def upgrade() -> None:
    op.create_table(
        "live_fit",
        sa.Column("id", sa.Integer, nullable=False),
        sa.Column("live_config_id", sa.Integer, nullable=False),
        sa.Column("series_id", sa.Integer, nullable=False),
        sa.Column("rule", sa.String, nullable=False),
        sa.Column("method", sa.String, nullable=False),
        sa.Column("parameters", sa.Text, nullable=False),
        sa.Column("n_values", sa.Integer, nullable=False),
        sa.Column("t_first", sa.BigInteger, nullable=False),
        sa.Column("t_last", sa.BigInteger, nullable=False),
        sa.Column("run_id", sa.Integer, nullable=False),
        sa.Column("recorded_us", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_live_fit"),
        sa.ForeignKeyConstraint(["live_config_id"], ["live_config.id"],
                                name="fk_live_fit_live_config_id_live_config"),
        sa.ForeignKeyConstraint(["series_id"], ["series.id"], name="fk_live_fit_series_id_series"),
        sa.ForeignKeyConstraint(["run_id"], ["run.id"], name="fk_live_fit_run_id_run"),
        sa.UniqueConstraint("live_config_id", "series_id", "rule", name="uq_live_fit_live_config_id"),
    )
    if op.get_bind().dialect.name == "postgresql":  # the function comes from migration 0003
        op.execute("CREATE TRIGGER live_fit_append_only BEFORE UPDATE OR DELETE ON live_fit "
                   "FOR EACH ROW EXECUTE FUNCTION aquaflag_append_only()")
        return
    for event in ("UPDATE", "DELETE"):
        op.execute(f"CREATE TRIGGER live_fit_no_{event.lower()} BEFORE {event} ON live_fit "
                   f"BEGIN SELECT RAISE(ABORT, 'live_fit {MESSAGE}'); END")


def downgrade() -> None:
    op.drop_table("live_fit")
