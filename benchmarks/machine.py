"""The machine line every benchmark result starts with (shared by the benchmark scripts).

Scripts in ``benchmarks/`` import it as ``from machine import describe`` (the script's
folder is first on ``sys.path``); scripts in a sub-folder put ``benchmarks/`` there first.
"""

from __future__ import annotations

import os
import platform


def cpu_name() -> str:
    """The CPU's model name from /proc/cpuinfo (Linux), else what ``platform`` knows."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


def describe(*, load: bool = True) -> str:
    """``"2 CPUs (nproc), <model>; <OS>; Python 3.x[, load average L]"``."""
    text = (f"{os.cpu_count()} CPUs (nproc), {cpu_name()}; {platform.platform()}; "
            f"Python {platform.python_version()}")
    if load and hasattr(os, "getloadavg"):
        text += f", load average {os.getloadavg()[0]:.1f}"
    return text
