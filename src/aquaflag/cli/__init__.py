"""The command line: a thin layer over the Python API (``aquaflag --help``).

``main(argv) -> exit code``: 0 on success; 2 with a one-line message on bad
input or usage (never a traceback); 130 when interrupted.
"""

from .app import main

__all__ = ["main"]
