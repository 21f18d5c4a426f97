"""`import aquaflag` stays light: heavy libraries load only when a feature needs them."""

import subprocess
import sys

HEAVY = ("matplotlib", "numba", "dask", "distributed", "plotly", "tsdownsample", "statsmodels", "click")


def test_core_import_and_registry_do_not_load_heavy_libraries():
    code = (
        "import sys, aquaflag; aquaflag.method_names(); "
        "aquaflag.detect([1.0, 2.0, 3.0, 4.0, 50.0], method='all'); "
        f"loaded = [m for m in {HEAVY!r} if m in sys.modules]; "
        "assert not loaded, loaded"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
