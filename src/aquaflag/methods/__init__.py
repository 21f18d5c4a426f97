"""Detection methods. Importing this package registers every method.

One module per family; each method is a pure function registered with
:func:`aquaflag.registry.register`. Helpers they share live in
:mod:`aquaflag.methods._common`. The import order below is the order in
which ``aquaflag methods`` lists the families.
"""

# isort: off
from .distribution import adjusted_boxplot, iqr, modified_zscore, zscore
from .sensor import flat_line, gross_range, nodata_codes, rate_of_change, spike
from .esd import generalized_esd
from .seasonal import stl_residual
from .consistency import cross_station
from .robust_window import hampel
from .shift import level_shift
# isort: on

__all__ = ["zscore", "modified_zscore", "iqr", "adjusted_boxplot", "gross_range",
           "nodata_codes", "spike", "rate_of_change", "flat_line", "generalized_esd",
           "stl_residual", "cross_station", "hampel", "level_shift"]
from .stretch import noisy_stretch, offset_stretch, sonde_failure  # noqa: E402

__all__ += ["offset_stretch", "noisy_stretch", "sonde_failure"]
