"""The store's heavy dependencies load only when a store is opened or exported."""

from __future__ import annotations

import subprocess
import sys

HEAVY = ("sqlalchemy", "alembic", "psycopg", "xarray", "h5netcdf", "h5py")


def test_importing_aquaflag_and_the_store_package_loads_none_of_them():
    code = (
        "import sys, aquaflag, aquaflag.store; "
        f"loaded = [m for m in {HEAVY!r} if m in sys.modules]; "
        "assert not loaded, loaded"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
