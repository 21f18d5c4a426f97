"""What the command line prints: notes, the outlier summary table, progress bars."""

from __future__ import annotations

import shutil
import sys
import unicodedata
from typing import Any, Callable

import click

__all__ = ["Progress", "say_notes", "summary_text", "text_width", "found"]


def text_width(text: str) -> int:
    """Columns ``text`` takes in a terminal (Hangul and other wide characters take two).

    Examples
    --------
    >>> text_width("pH(문의)"), text_width("pH(A)")
    (8, 5)
    """
    return sum(2 if unicodedata.east_asian_width(ch) in ("W", "F") else
               0 if unicodedata.combining(ch) else 1 for ch in text)


def _pad(text: str, width: int, right: bool = False) -> str:
    fill = " " * max(0, width - text_width(text))
    return fill + text if right else text + fill


def summary_text(result, *, width: int | None = None) -> str:
    """Outliers per column and rule, as an aligned table that fits the terminal.

    Columns are the rules; when their labels would make the table wider than
    the terminal, they are numbered (R1, R2, ...) and listed below the table.
    Columns no rule checked are listed as such; notes follow.
    """
    if width is None:
        width = shutil.get_terminal_size((100, 24)).columns
    summary = result.summary
    if summary.empty:
        return "no column evaluated"
    labels = list(result.labels)
    rows = []
    for col in result.columns:
        part = summary[summary["column"] == col]
        counts = dict(zip(part["rule"], part["outliers"]))
        evaluated = int(part["evaluated"].max()) if len(part) else 0
        rows.append([str(col), str(evaluated)] + [str(int(counts[lab])) if lab in counts else "-"
                                                  for lab in labels])
    totals = ["total", str(sum(int(r[1]) for r in rows))] + [
        str(sum(int(r[2 + i]) for r in rows if r[2 + i] != "-")) for i in range(len(labels))]
    legend: list[str] = []

    def layout(heads: list[str]) -> list[str]:
        table = [["column", "evaluated"] + heads] + rows + [totals]
        widths = [max(text_width(r[i]) for r in table) for i in range(len(table[0]))]
        return ["  ".join(_pad(cell, widths[i], right=i > 0) for i, cell in enumerate(r))
                for r in table]

    lines = layout(labels)
    if max(text_width(line) for line in lines) > width:
        codes = [f"R{i + 1}" for i in range(len(labels))]
        lines = layout(codes)
        legend = [f"  {c} = {lab}" for c, lab in zip(codes, labels)]
    out = ["outliers per column and rule:", *lines, *legend]
    unchecked = result.unchecked
    if unchecked:
        out.append(f"not checked by any rule ({len(unchecked)}): {', '.join(map(str, unchecked))}"
                   " - map them to a variable in the configuration's [columns] table")
    notes = summary[(summary["note"] != "") & (summary["rule"] != "")]
    for (column, note), group in notes.groupby(["column", "note"], sort=False):
        out.append(f"  {column} ({', '.join(group['rule'])}): {note}")
    return "\n".join(out)


def say_notes(result, say: Callable[[str], Any]) -> None:
    """Print what the reader and the engine did to the data on the way."""
    if result.source is not None:
        for line in result.source.messages():
            say(f"note: {line}")
    for col, why in result.skipped.items():
        say(f"note: column {col!r} not evaluated: {why}")
    for line in result.notes:
        say(f"note: {line}")


def found(mask, truth) -> int:
    """How many truth cells (column, time) the mask flags."""
    return int(sum(bool(mask.at[t, c]) for c, t in zip(truth["column"], truth["time"])))


class Progress:
    """A progress bar on stderr for runs over many series; silent when quiet or short."""

    def __init__(self, label: str, quiet: bool, minimum: int = 8) -> None:
        self.label, self.quiet, self.minimum = label, quiet, minimum
        self.bar: Any = None
        self.done = 0

    def __call__(self, done: int, total: int) -> None:
        if self.quiet or total < self.minimum:
            return
        if self.bar is None:
            self.bar = click.progressbar(length=total, label=self.label, file=sys.stderr)
            self.bar.__enter__()
        self.bar.update(done - self.done)
        self.done = done

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc: Any) -> None:
        if self.bar is not None:
            self.bar.__exit__(*exc)
