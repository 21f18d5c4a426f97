"""Write docs/methods.md from the method registry (run after adding or changing a method).

    python docs/gen_methods.py

A test checks that docs/methods.md is up to date, so the reference cannot drift
from the code.
"""

from __future__ import annotations

from pathlib import Path

from aquaflag import registry

OUT = Path(__file__).with_name("methods.md")


def render() -> str:
    lines = [
        "# Methods",
        "",
        "Generated from the method registry by `docs/gen_methods.py`; `aquaflag methods NAME`",
        "shows the same on the command line, and each method's docstring gives the formula's",
        "source, references and degenerate cases.",
        "",
        "| method | family | severity | what it flags |",
        "|---|---|---|---|",
    ]
    specs = registry.specs()
    for s in specs:
        lines.append(f"| [`{s.name}`](#{s.name}) | {s.family} | {s.default_severity} | {s.summary} |")
    for s in specs:
        lines += ["", f"## {s.name}", "", s.summary, "", f"Rule: `{s.formula}`", ""]
        if s.context:
            lines += [f"Uses: {', '.join(s.context)} (passed by the engine).", ""]
        if s.params:
            lines += ["| parameter | default | allowed |", "|---|---|---|"]
            for p in s.params.values():
                allowed = p.constraint.describe() + (" or none" if p.nullable else "")
                lines.append(f"| `{p.name}` | `{p.default!r}` | {allowed} |")
            derived = [p for p in s.params.values() if getattr(p, "derived", "")]
            if derived:
                lines += ["", "Derived from the series when left `None` (self-calibrating):", ""]
                lines += [f"- `{p.name}`: {p.derived}" for p in derived]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    OUT.write_text(render(), encoding="utf-8")
    print(f"wrote {OUT}")
