"""The package version, in one place (imported by the writers and the command line)."""

__version__ = "0.2.0.dev0"
