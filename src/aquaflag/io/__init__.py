"""Read and write monitoring tables: one reader pipeline, one report.

Every format (delimited text, Excel, Parquet, a partitioned Parquet folder)
and every layout (wide; long ``time, station, parameter, value``; one row per
time and station with a station column) goes the same way::

    bytes -> decode -> header -> dates -> cells -> layout -> frame + ReadReport

==================  ================================================================
module              concern
==================  ================================================================
``sources``         files -> raw tables (text, Excel, Parquet, Parquet folders)
``decode``          bytes -> text: byte-order marks, UTF-8/CP949/UTF-16/UTF-32, delimiter
``header``          clean, unique column names (duplicates and blanks renamed visibly)
``dates``           which column holds the dates, and how they are read (the one date path)
``cells``           the cell policy: missing markers, censored values, commas, codes
``layouts``         wide, long and station-column tables -> one column per series
``pipeline``        :func:`read`, :func:`from_frame`: the steps in order
``report``          :class:`ReadReport`: everything decided or changed
``write``           :func:`write`, :func:`write_long`
==================  ================================================================

:func:`read` turns a file into the frame the rest of aquaflag works on: a
``DatetimeIndex`` and one ``float64`` column per series, with the
:class:`ReadReport` in ``frame.attrs["aquaflag_read"]`` (see
:func:`read_report`) and per-series metadata
(:class:`aquaflag.variables.SeriesInfo`) in ``frame.attrs["aquaflag_series"]``.
:func:`from_frame` runs the same steps on an in-memory frame. The full reading
policy is in :func:`read`'s docstring.
"""

from __future__ import annotations

from .layouts import LONG_COLUMNS, looks_long, to_long
from .pipeline import from_frame, read, read_group, read_long, read_parts, to_wide
from .report import ATTRS_KEY, ReadReport, read_report
from .write import write, write_long

__all__ = ["read", "read_parts", "read_group", "write", "ReadReport", "read_report", "from_frame", "to_long", "to_wide",
           "write_long", "read_long", "looks_long", "LONG_COLUMNS", "ATTRS_KEY"]
