"""Errors raised by aquaflag.

Every error aquaflag raises on bad input is an :class:`AquaflagError` with a
one-line message that names the file, column, row or parameter at fault and
says how to fix it. The command line prints that message and exits with code 2.
"""

from __future__ import annotations


class AquaflagError(ValueError):
    """Base class of the errors aquaflag raises on bad input or usage."""


class InputError(AquaflagError):
    """The data (a file, a frame, a column) cannot be used as given."""


class ParameterError(AquaflagError):
    """A method parameter is unknown or out of its allowed range."""


class ConfigError(AquaflagError):
    """A QC configuration file is invalid."""


def did_you_mean(name: object, options) -> str:
    """``"did you mean 'x'? "`` for the closest of ``options`` (case-insensitive), else ``""``."""
    import difflib

    options = [str(o) for o in options]
    lowered = {o.lower(): o for o in options}
    hit = difflib.get_close_matches(str(name).lower(), list(lowered), n=1)
    return f"did you mean {lowered[hit[0]]!r}? " if hit else ""
