"""Pure NumPy / numba kernels: order statistics, the medcouple, rolling statistics.

Nothing here knows about methods, rules or frames; every function takes arrays
and returns arrays or numbers. numba is imported only by the compiled paths.
"""
