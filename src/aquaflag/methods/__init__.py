"""Detection methods. Importing this package registers every method.

One module per family; each method is a pure function registered with
:func:`aquaflag.registry.register`.
"""

from .distribution import adjusted_boxplot, iqr, modified_zscore, zscore

#: The four tests of the Daecheong hands-on, in its order (Mode 1-4).
SEED_METHODS = ("zscore", "modified_zscore", "iqr", "adjusted_boxplot")

__all__ = ["zscore", "modified_zscore", "iqr", "adjusted_boxplot", "SEED_METHODS"]
