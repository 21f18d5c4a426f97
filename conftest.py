"""Repository-level pytest configuration: doctests run over src/aquaflag, except the entry point."""

collect_ignore = ["src/aquaflag/__main__.py"]
