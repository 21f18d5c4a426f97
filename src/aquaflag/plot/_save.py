"""Writing the figures of a run to PNG files, fast.

Three things make :func:`save_plots` several times faster than building each
figure anew and calling ``savefig`` (measured in ``benchmarks/plot_speed.py``):

* the figures have a fixed layout (see :mod:`aquaflag.plot.figures`) instead
  of the constrained layout, which drew each figure twice over;
* the figure of the previous column is emptied and drawn again
  (:func:`~aquaflag.plot.figures.clear_figure`): its axes and tick objects —
  half of the cost of a small figure — are made once per run;
* each figure is drawn once on its Agg canvas and written by Pillow (a
  dependency of matplotlib) as a PNG with a 256-colour palette: a plot has
  few colours, so the file is a third of an RGBA ``savefig`` and as quick
  to write.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from PIL import Image, PngImagePlugin

from .._version import __version__
from ._names import MAX_NAME_BYTES, figure_stems
from .figures import clear_figure, fill_column, fill_grid, new_grid, plot_column

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.figure import Figure

    from ..result import Result

__all__ = ["save_plots", "write_png"]

#: Write PNGs with a 256-colour palette (a third of the size, as fast); False: RGB.
PALETTE = True


def write_png(fig: "Figure", path: str | os.PathLike, *, dpi: float = 110) -> Path:
    """Draw ``fig`` at ``dpi`` and write it as a PNG (what ``fig.savefig(path, dpi=dpi)`` gives).

    The figure is drawn once; the white background needs no alpha channel, and
    the image is written with a 256-colour palette (:data:`PALETTE`). The
    figure's own dpi is restored afterwards.
    """
    out = Path(path)
    canvas = fig.canvas
    if not isinstance(canvas, FigureCanvasAgg):  # e.g. a figure of a vector backend
        fig.savefig(out, dpi=dpi, format="png")
        return out
    old = fig.get_dpi()
    fig.set_dpi(dpi)
    try:
        canvas.draw()
        buf = canvas.buffer_rgba()
        height, width = buf.shape[:2]
        image = Image.frombuffer("RGBA", (width, height), buf, "raw", "RGBA", 0, 1).convert("RGB")
    finally:
        fig.set_dpi(old)
    if PALETTE:
        image = image.quantize(256, method=Image.Quantize.FASTOCTREE)
    info = PngImagePlugin.PngInfo()
    info.add_text("Software", f"aquaflag {__version__} (matplotlib)")
    image.save(out, format="png", pnginfo=info, dpi=(dpi, dpi))
    return out


def save_plots(
    result: "Result",
    directory: str | os.PathLike,
    *,
    dpi: int = 110,
    methods_grid: bool = True,
    progress: Callable[[str], Any] | None = None,
    max_name_bytes: int = MAX_NAME_BYTES,
) -> list[Path]:
    """Write one PNG per evaluated column (and a rule comparison) into ``directory``.

    Parameters
    ----------
    result : Result
        What :func:`aquaflag.detect` returned. Only read.
    directory : str or path
        Folder for the images; created (with parents) if needed.
    dpi : int, default 110
        Resolution of the PNGs.
    methods_grid : bool, default True
        Also write ``<name>__methods.png`` (:func:`plot_rules`) for each
        column on which two or more rules ran.
    progress : callable, optional
        Called as ``progress(column)`` after each column's figures are written.
    max_name_bytes : int, default 160
        Longest file-name stem in UTF-8 bytes (see :func:`safe_filename`).

    Returns
    -------
    list of pathlib.Path
        The files written, column by column (the column figure, then its
        rule grid).

    Notes
    -----
    File names come from :func:`safe_filename`: at most ``max_name_bytes``
    UTF-8 bytes (long names are cut and end with a short hash of the whole
    name), so an 84-character Korean column name stays well below the 255
    bytes most file systems allow. Names that would collide — also
    case-insensitively, as on Windows and macOS file systems — get a suffix
    ``_2``, ``_3``, ... so that no image overwrites another. Existing files
    with the same names are overwritten. The figures are not registered with
    pyplot, so nothing needs closing.
    """
    out_dir = Path(directory)
    out_dir.mkdir(parents=True, exist_ok=True)
    columns = result.columns
    grids_wanted = [methods_grid and len(result.labels_on(c)) >= 2 for c in columns]
    paths: list[Path] = []
    column_fig = None
    grids: dict[int, Any] = {}
    dates = isinstance(result.data.index, (pd.DatetimeIndex, pd.PeriodIndex))
    for column, (stem, grid_stem) in zip(columns, figure_stems(columns, grids_wanted,
                                                               max_bytes=max_name_bytes)):
        if column_fig is None:
            column_fig = plot_column(result, column)
        else:
            fill_column(clear_figure(column_fig), result, column)
        paths.append(write_png(column_fig, out_dir / f"{stem}.png", dpi=dpi))
        if grid_stem is not None:
            labels = result.labels_on(column)
            grid = grids.get(len(labels))
            grid = new_grid(len(labels), dates=dates) if grid is None else clear_figure(grid)
            grids[len(labels)] = grid
            fill_grid(grid, result, column, labels)
            paths.append(write_png(grid, out_dir / f"{grid_stem}.png", dpi=dpi))
        if progress is not None:
            progress(column)
    return paths
