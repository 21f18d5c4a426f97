"""Read Logan River Observatory sensor files with technician labels.

The Logan River Observatory (LRO, Utah State University) publishes 15-minute
in-situ sensor data. The files read here are the ones published with the
PyHydroQC study, which used them to score anomaly detectors against the
technicians' own quality control:

* one row per time step, a ``datetime`` column (local time);
* for each variable ``X`` (``temp`` °C, ``cond`` specific conductance µS/cm,
  ``ph``, ``do`` mg/L, ``turb`` NTU, ``stage`` cm) three columns: ``X`` the raw
  sensor value, ``X_cor`` the technician-corrected value and ``X_qual`` the
  technician's qualifier code (an integer whose meanings are not published
  with the data);
* missing values are the text ``NULL``; ``-9999`` is the logger's no-data value.

Following the study, a point is an expert-labelled anomaly when its ``X_qual``
is not null. Note that the technicians also corrected sensor drift
(``X != X_cor``) over long stretches that often carry *no* qualifier: by this
convention those corrections are not labels.

References
----------
.. [1] Jones, A. S., Jones, T. L., & Horsburgh, J. S. (2022). Toward automating
   post processing of aquatic sensor data. *Environmental Modelling & Software*,
   151, 105364. https://doi.org/10.1016/j.envsoft.2022.105364
.. [2] PyHydroQC, https://github.com/AmberSJones/pyhydroqc (BSD-3-Clause), which
   publishes the files (``LRO_data/``) and reads labels as ``X_qual`` not null.
"""

from __future__ import annotations

from os import PathLike
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError

__all__ = ["read_lro", "VARIABLES", "NO_DATA", "MISSING_TOKENS"]

#: The variables of an LRO file, in file order: raw column ``X``, ``X_cor``, ``X_qual``.
VARIABLES = ("temp", "cond", "ph", "do", "turb", "stage")
#: The logger's no-data value.
NO_DATA = -9999.0
#: Text read as missing.
MISSING_TOKENS = ("NULL",)


def read_lro(path: str | PathLike, *, corrected: bool = False,
             variables: tuple[str, ...] | list[str] | None = None) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Read one Logan River Observatory file: values and technician labels.

    Parameters
    ----------
    path : str or path-like
        A CSV file as published with PyHydroQC (``MainStreet2019.csv``, ...).
    corrected : bool, default False
        Return the technician-corrected values ``X_cor`` instead of the raw
        sensor values ``X`` (for inspection; detectors are scored on raw values).
    variables : sequence of str, optional
        Variables to read, among ``temp, cond, ph, do, turb, stage``; by
        default every one present in the file.

    Returns
    -------
    values : DataFrame
        One float column per variable present (named ``temp``, ``cond``, ...)
        with the raw value ``X`` (or ``X_cor``); ``NULL`` and ``-9999`` are NaN.
        The index is a DatetimeIndex named ``datetime`` (local time, as in the file).
    labels : DataFrame of bool
        Same index; one column per variable that has an ``X_qual`` column:
        True where ``X_qual`` is not null (an expert-labelled anomaly). A
        label may sit on a missing value (the logger wrote ``-9999``).

    Raises
    ------
    InputError
        If the file has no ``datetime`` column, no known variable, unparseable
        dates, or non-numeric text in a value column.

    Notes
    -----
    Labels follow the convention of the PyHydroQC study [1]_ [2]_:
    ``labels[X] = X_qual.notna()``. PyHydroQC additionally counts a point as
    labelled where the raw or corrected value is ``-9999`` or the corrected
    value is null (``rules_detect.add_labels``); that is *not* done here, but
    ``values.isna()`` gives those raw points.

    References
    ----------
    .. [1] Jones, A. S., Jones, T. L., & Horsburgh, J. S. (2022). Toward
       automating post processing of aquatic sensor data. *Environmental
       Modelling & Software*, 151, 105364. doi:10.1016/j.envsoft.2022.105364
    .. [2] PyHydroQC, https://github.com/AmberSJones/pyhydroqc (the data files
       and the labelling convention).

    Examples
    --------
    >>> import io
    >>> text = '''datetime,temp,temp_cor,temp_qual,ph,ph_cor,ph_qual
    ... 2019-01-01 00:00,0.76,0.76,NULL,8.48,8.53,NULL
    ... 2019-01-01 00:15,-9999,NULL,1,8.48,8.53,NULL
    ... 2019-01-01 00:30,0.72,0.72,NULL,12.5,NULL,4
    ... '''
    >>> values, labels = read_lro(io.StringIO(text))
    >>> values
                         temp     ph
    datetime
    2019-01-01 00:00:00  0.76   8.48
    2019-01-01 00:15:00   NaN   8.48
    2019-01-01 00:30:00  0.72  12.50
    >>> labels
                          temp     ph
    datetime
    2019-01-01 00:00:00  False  False
    2019-01-01 00:15:00   True  False
    2019-01-01 00:30:00  False   True
    """
    name = _name(path)
    try:
        raw = pd.read_csv(path, na_values=list(MISSING_TOKENS), keep_default_na=True,
                          skipinitialspace=True)
    except FileNotFoundError:
        raise InputError(f"LRO file not found: {path}") from None
    if "datetime" not in raw.columns:
        raise InputError(f"{name}: no 'datetime' column; columns are: {', '.join(map(str, raw.columns))}")
    try:
        times = pd.to_datetime(raw["datetime"], format="ISO8601")
    except (ValueError, TypeError) as exc:
        raise InputError(f"{name}: cannot parse the 'datetime' column as dates ({exc})") from None
    index = pd.DatetimeIndex(times, name="datetime")

    wanted = VARIABLES if variables is None else tuple(variables)
    unknown = [v for v in wanted if v not in VARIABLES]
    if unknown:
        raise InputError(f"unknown LRO variable {unknown[0]!r}; variables are: {', '.join(VARIABLES)}")
    present = [v for v in wanted if v in raw.columns]
    if not present:
        raise InputError(f"{name}: none of the variables {', '.join(wanted)} is a column of the file")

    values = {}
    labels = {}
    for var in present:
        src = f"{var}_cor" if corrected else var
        if src not in raw.columns:
            raise InputError(f"{name}: no column {src!r} for variable {var!r}")
        values[var] = _numeric(raw[src], name, src)
        qual = f"{var}_qual"
        if qual in raw.columns:
            labels[var] = raw[qual].notna().to_numpy()
    values_df = pd.DataFrame(values, index=index)
    labels_df = pd.DataFrame(labels, index=index, dtype=bool)
    return values_df, labels_df


def _numeric(col: pd.Series, name: str, column: str) -> np.ndarray:
    if not pd.api.types.is_numeric_dtype(col.dtype):
        conv = pd.to_numeric(col, errors="coerce")
        bad = conv.isna() & col.notna()
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise InputError(
                f"{name}: column {column!r} holds text {col.iloc[i]!r} at data row {i + 1}; "
                f"expected numbers, 'NULL' or {NO_DATA:g}"
            )
        col = conv
    arr = col.to_numpy(dtype=np.float64, na_value=np.nan, copy=True)
    arr[arr == NO_DATA] = np.nan
    return arr


def _name(path) -> str:
    try:
        return Path(path).name
    except TypeError:
        return "<stream>"
