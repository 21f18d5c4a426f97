"""Detection methods. Importing this package registers every method.

One module per family; each method is a pure function registered with
:func:`aquaflag.registry.register`.
"""

from .distribution import adjusted_boxplot, iqr, modified_zscore, zscore

#: The four tests of the Daecheong hands-on, in its order (Mode 1-4).
SEED_METHODS = ("zscore", "modified_zscore", "iqr", "adjusted_boxplot")

__all__ = ["zscore", "modified_zscore", "iqr", "adjusted_boxplot", "SEED_METHODS"]

# Sensor QC, rolling, seasonal, ESD and cross-station methods (importing registers them).
from .sensor import flat_line, gross_range, nodata_codes, rate_of_change, spike  # noqa: E402
from .esd import generalized_esd  # noqa: E402
from .seasonal import stl_residual  # noqa: E402
from .consistency import cross_station  # noqa: E402
from .robust_window import hampel  # noqa: E402

__all__ += ["gross_range", "nodata_codes", "spike", "rate_of_change", "flat_line",
            "generalized_esd", "stl_residual", "cross_station", "hampel"]
from .shift import level_shift  # noqa: E402

__all__ += ["level_shift"]
