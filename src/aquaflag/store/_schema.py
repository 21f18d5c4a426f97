"""The store's tables (SQLAlchemy Core), as the newest migration leaves them.

The migrations in ``migrations/versions`` create and change the tables; this
module only describes them for queries. A test checks the two agree.

Times of values are int64 nanoseconds since 1970-01-01 (UTC when the series
has a time zone); the store's clock (when a value, run or decision was
recorded) is int64 microseconds since 1970-01-01 UTC. Integers keep both
exact and equally ordered on SQLite and PostgreSQL.
"""

from __future__ import annotations

import sqlalchemy as sa

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING)

series = sa.Table(
    "series", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("name", sa.String, nullable=False, unique=True),
    sa.Column("variable", sa.String),        # known variable key ("ph"), or NULL
    sa.Column("variable_name", sa.String),   # the variable's name as written
    sa.Column("station", sa.String),
    sa.Column("unit", sa.String),
    sa.Column("source", sa.String),          # where the metadata came from: mapping/file/name
    sa.Column("tz", sa.String),              # time zone of the times, NULL for naive times
    sa.Column("created_us", sa.BigInteger, nullable=False),
)

value_chunk = sa.Table(
    "value_chunk", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("series_id", sa.Integer, sa.ForeignKey("series.id"), nullable=False),
    sa.Column("t_first", sa.BigInteger, nullable=False),
    sa.Column("t_last", sa.BigInteger, nullable=False),
    sa.Column("n", sa.Integer, nullable=False),
    sa.Column("times", sa.LargeBinary, nullable=False),
    sa.Column("vals", sa.LargeBinary, nullable=False),
    sa.Column("added", sa.LargeBinary, nullable=False),
    sa.Index("ix_value_chunk_series_last", "series_id", "t_last"),
)

run = sa.Table(
    "run", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("recorded_us", sa.BigInteger, nullable=False),
    sa.Column("aquaflag_version", sa.String, nullable=False),
    sa.Column("config_text", sa.Text, nullable=False),
)

run_rule = sa.Table(
    "run_rule", metadata,
    sa.Column("run_id", sa.Integer, sa.ForeignKey("run.id"), primary_key=True),
    sa.Column("position", sa.Integer, primary_key=True),
    sa.Column("label", sa.String, nullable=False),
    sa.Column("method", sa.String, nullable=False),
    sa.Column("severity", sa.String),
    sa.Column("parameters", sa.Text, nullable=False),
)

run_series = sa.Table(
    "run_series", metadata,
    sa.Column("run_id", sa.Integer, sa.ForeignKey("run.id"), primary_key=True),
    sa.Column("series_id", sa.Integer, sa.ForeignKey("series.id"), primary_key=True),
    sa.Column("t_start", sa.BigInteger, nullable=False),
    sa.Column("t_end", sa.BigInteger, nullable=False),
    sa.Column("n_values", sa.Integer, nullable=False),
    sa.Index("ix_run_series_series", "series_id", "run_id"),
)

run_flag_chunk = sa.Table(
    "run_flag_chunk", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("run.id"), nullable=False),
    sa.Column("series_id", sa.Integer, sa.ForeignKey("series.id"), nullable=False),
    sa.Column("t_first", sa.BigInteger, nullable=False),
    sa.Column("t_last", sa.BigInteger, nullable=False),
    sa.Column("n", sa.Integer, nullable=False),
    sa.Column("times", sa.LargeBinary, nullable=False),
    sa.Column("codes", sa.LargeBinary, nullable=False),
    sa.Index("ix_run_flag_chunk_series_last", "series_id", "t_last"),
    sa.Index("ix_run_flag_chunk_run", "run_id"),
)

provenance = sa.Table(
    "provenance", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("run.id"), nullable=False),
    sa.Column("series_id", sa.Integer, sa.ForeignKey("series.id"), nullable=False),
    sa.Column("time", sa.BigInteger, nullable=False),
    sa.Column("rule", sa.String, nullable=False),
    sa.Column("method", sa.String, nullable=False),
    sa.Column("parameters", sa.Text, nullable=False),
    sa.Column("flag", sa.SmallInteger, nullable=False),
    sa.Column("score", sa.Float),
    sa.Column("lower", sa.Float),
    sa.Column("upper", sa.Float),
    sa.Index("ix_provenance_series_time", "series_id", "time"),
    sa.Index("ix_provenance_run", "run_id"),
)

decision = sa.Table(
    "decision", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("series_id", sa.Integer, sa.ForeignKey("series.id"), nullable=False),
    sa.Column("t_start", sa.BigInteger, nullable=False),
    sa.Column("t_end", sa.BigInteger, nullable=False),
    sa.Column("action", sa.String, nullable=False),
    sa.Column("flag", sa.SmallInteger),                    # the code it sets (NULL for undo)
    sa.Column("undoes", sa.Integer, sa.ForeignKey("decision.id")),
    sa.Column("reviewer", sa.String, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("decided_us", sa.BigInteger, nullable=False),
    sa.Column("auto_flag", sa.SmallInteger),               # the automatic flag it overrides
    sa.Column("n_values", sa.Integer, nullable=False),     # values in its range when decided
    sa.CheckConstraint("action IN ('accept', 'reject', 'set_flag', 'undo')", name="action"),
    sa.CheckConstraint("t_start <= t_end", name="range"),
    sa.Index("ix_decision_series_end", "series_id", "t_end"),
)

approval = sa.Table(
    "approval", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("series_id", sa.Integer, sa.ForeignKey("series.id"), nullable=False),
    sa.Column("t_start", sa.BigInteger, nullable=False),
    sa.Column("t_end", sa.BigInteger, nullable=False),
    sa.Column("level", sa.String, nullable=False),
    sa.Column("reviewer", sa.String, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
    sa.Column("decided_us", sa.BigInteger, nullable=False),
    sa.CheckConstraint("level IN ('raw', 'provisional', 'approved')", name="level"),
    sa.CheckConstraint("t_start <= t_end", name="range"),
    sa.Index("ix_approval_series", "series_id"),
)

live_config = sa.Table(
    "live_config", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("recorded_us", sa.BigInteger, nullable=False),
    sa.Column("config_text", sa.Text, nullable=False),
    sa.Column("reason", sa.Text, nullable=False),
)

ingested_file = sa.Table(
    "ingested_file", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("fingerprint", sa.String, nullable=False, unique=True),
    sa.Column("n_values", sa.Integer, nullable=False),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("run.id")),
    sa.Column("recorded_us", sa.BigInteger, nullable=False),
)

alarm_event = sa.Table(
    "alarm_event", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("key", sa.Text, nullable=False),
    sa.Column("series", sa.Text),
    sa.Column("kind", sa.String, nullable=False),
    sa.Column("state", sa.String, nullable=False),
    sa.Column("message", sa.Text, nullable=False),
    sa.Column("recorded_us", sa.BigInteger, nullable=False),
    sa.Column("delivered", sa.Text, nullable=False),
    sa.CheckConstraint("state IN ('open', 'resolved')", name="state"),
    sa.Index("ix_alarm_event_key", "key", "id"),
)

live_fit = sa.Table(
    "live_fit", metadata,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("live_config_id", sa.Integer, sa.ForeignKey("live_config.id"), nullable=False),
    sa.Column("series_id", sa.Integer, sa.ForeignKey("series.id"), nullable=False),
    sa.Column("rule", sa.String, nullable=False),            # the rule's label
    sa.Column("method", sa.String, nullable=False),
    sa.Column("parameters", sa.Text, nullable=False),        # JSON: every parameter, fitted ones set
    sa.Column("n_values", sa.Integer, nullable=False),       # values the fit came from ...
    sa.Column("t_first", sa.BigInteger, nullable=False),     # ... and their time span
    sa.Column("t_last", sa.BigInteger, nullable=False),
    sa.Column("run_id", sa.Integer, sa.ForeignKey("run.id"), nullable=False),
    sa.Column("recorded_us", sa.BigInteger, nullable=False),
    sa.UniqueConstraint("live_config_id", "series_id", "rule"),
)
