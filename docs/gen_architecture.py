"""Draw docs/img/architecture.png: the package's layers and the data's way through them.

The layers are read from the import contract in pyproject.toml (the one
tests/test_architecture.py checks), the modules from src/aquaflag, so the
picture cannot drift from the code:

    python docs/gen_architecture.py
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src" / "aquaflag"
OUT = ROOT / "docs" / "img" / "architecture.png"

#: What each layer is for (the left-hand labels).
ROLE = {
    "aquaflag.__main__": "entry point",
    "aquaflag.cli": "faces: parse, call the API, print",
    "aquaflag.review": "face: the review web app",
    "aquaflag.outputs": "writer: the run's files",
    "aquaflag.report": "writers: read a Result",
    "aquaflag.ingest": "live: incremental runs, alarms",
    "aquaflag.store": "the QC store (SQLite | PostgreSQL)",
    "aquaflag.datasets": "beside: demo data, metrics",
    "aquaflag.engine": "the one loop over series",
    "aquaflag.config": "TOML -> rules",
    "aquaflag.rules": "a rule = method + params + selectors",
    "aquaflag.methods": "pure detections, registered",
    "aquaflag.io": "one reader pipeline",
    "aquaflag.result": "views: flags, outliers, cleaned",
    "aquaflag.cleaning": "fill what was removed",
    "aquaflag.registry": "constraints as data, reach",
    "aquaflag.variables": "variables; the window grammar",
    "aquaflag.kernels": "NumPy / numba kernels",
    "aquaflag.detection": "plain data types",
    "aquaflag.errors": "errors",
}

#: The data's way from a file to the outputs (drawn as numbered steps).
FLOW = [
    ("aquaflag.io", "file -> frame + ReadReport + SeriesInfo"),
    ("aquaflag.config", "qc.toml -> Config (rules, [columns])"),
    ("aquaflag.engine", "each series: TimeOrder, siblings"),
    ("aquaflag.methods", "values -> Detection per rule"),
    ("aquaflag.result", "Result: flags, provenance, cleaned"),
    ("aquaflag.outputs", "tables, plots, report"),
    ("aquaflag.store", "runs + decisions, final flags"),
    ("aquaflag.review", "technicians decide"),
]


def layers() -> list[list[str]]:
    """The contract's layers, top first: each a list of module names (optional ones too)."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    block = text[text.index("[[tool.importlinter.contracts]]"):]
    body = block[block.index("layers = [") + len("layers = ["):block.index("]", block.index("layers = ["))]
    rows = re.findall(r'"([^"]+)"', body)
    return [[m.strip().strip("()") for m in row.split("|")] for row in rows]


def exists(module: str) -> bool:
    rel = module.split(".")[1:]
    path = SRC.joinpath(*rel)
    return path.with_suffix(".py").exists() or (path / "__init__.py").exists()


def draw(path: Path = OUT) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.patches import FancyArrowPatch, FancyBboxPatch

    rows = [[m for m in row if exists(m)] for row in layers()]
    rows = [r for r in rows if r]
    height = 0.62 * len(rows) + 1.4
    fig, ax = plt.subplots(figsize=(13, height))
    ax.set_xlim(0, 13)
    ax.set_ylim(0, height)
    ax.axis("off")
    ax.text(0.1, height - 0.35, "aquaflag: layers (each imports only from those below) and the "
            "data's way from a file to the outputs", fontsize=12, weight="bold")
    on_the_way = {m for m, _ in FLOW}
    centre = {}
    for i, row in enumerate(rows):
        y = height - 1.1 - i * 0.62
        ax.text(0.1, y, ROLE.get(row[0], ""), fontsize=8.5, va="center", color="0.35")
        width = min(2.3, 7.0 / len(row))
        row_end = 3.5 + len(row) * (width + 0.12) - 0.12
        for j, module in enumerate(row):
            x = 3.5 + j * (width + 0.12)
            way = module in on_the_way
            ax.add_patch(FancyBboxPatch((x, y - 0.22), width, 0.44, boxstyle="round,pad=0.02",
                                        fc="#fdf2e9" if way else "#e8f1f8",
                                        ec="#c0392b" if way else "#2b5d86", lw=1.4 if way else 1))
            ax.text(x + width / 2, y, module.replace("aquaflag.", ""), ha="center", va="center",
                    fontsize=9, family="monospace")
            centre[module] = (row_end, y)
    # the data's way: numbered steps on the right, each pointing at its layer
    for k, (module, what) in enumerate(FLOW, 1):
        if module not in centre:
            continue
        x, y = centre[module]
        ax.add_patch(FancyArrowPatch((10.35, y), (x + 0.05, y), arrowstyle="-|>", mutation_scale=10,
                                     color="#c0392b", lw=1.2))
        ax.text(10.4, y, f"{k}. {what}", fontsize=8.5, va="center", color="#c0392b")
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110, bbox_inches="tight")
    plt.close(fig)
    return path


if __name__ == "__main__":
    print(f"wrote {draw(Path(sys.argv[1]) if len(sys.argv) > 1 else OUT)}")
