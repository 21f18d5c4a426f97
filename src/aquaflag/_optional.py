"""Optional dependencies: import them on first use, or say in one line how to install them.

The core install reads files, runs the detection methods and writes tables
and PNG figures. Everything else is an extra (``pip install 'aquaflag[NAME]'``):

==========  ===============================  ==========================================
extra       packages                         for
==========  ===============================  ==========================================
report      plotly, tsdownsample             the interactive HTML report
stats       scipy, statsmodels               generalized_esd, stl_residual
fast        numba                            compiled kernels for long series (faster)
parquet     pyarrow                          Parquet files and datasets
dask        dask[distributed]                ``--engine dask``
store       sqlalchemy, alembic              the QC store (SQLite)
postgresql  psycopg                          the QC store on PostgreSQL
netcdf      xarray, h5netcdf                 netCDF export with CF flag attributes
review      starlette, uvicorn (+ store,     ``aquaflag review``: the review web app
            report)
all         all of the above
==========  ===============================  ==========================================
"""

from __future__ import annotations

import importlib
from types import ModuleType

from .errors import AquaflagError

__all__ = ["require", "MissingDependency", "available"]


class MissingDependency(AquaflagError, ImportError):
    """An optional package a feature needs is not installed."""


def require(module: str, *, extra: str, feature: str) -> ModuleType:
    """Import ``module``, or raise :class:`MissingDependency` naming the extra to install.

    Examples
    --------
    >>> require("numpy", extra="core", feature="everything").__name__
    'numpy'
    >>> require("no_such_module_xyz", extra="stats", feature="stl_residual")
    Traceback (most recent call last):
    ...
    aquaflag._optional.MissingDependency: stl_residual needs the optional package no_such_module_xyz: pip install 'aquaflag[stats]'
    """
    try:
        return importlib.import_module(module)
    except ImportError:
        top = module.split(".")[0]
        raise MissingDependency(
            f"{feature} needs the optional package {top}: pip install 'aquaflag[{extra}]'"
        ) from None


def available(module: str) -> bool:
    """Whether ``module`` can be imported (without importing it)."""
    import importlib.util

    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False
