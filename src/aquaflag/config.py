"""QC configuration files (TOML, human-written) -> validated rules.

A configuration is a list of rules, each a ``[[rule]]`` table, and optionally a
``[columns]`` table saying what columns measure where their names do not::

    # Weekly reservoir QC
    [columns]
    Tp = "temperature"                              # a variable key or name
    Leit = { variable = "conductivity", unit = "mS/cm", station = "Dorf" }

    [[rule]]
    name = "physical range"          # the rule's label in tables (default: the method)
    method = "gross_range"
    severity = "fail"                # "suspect" (default for most methods) or "fail"

    [[rule]]
    name = "seasonal outlier"
    method = "iqr"
    variable = ["temperature", "do"]    # select series by variable ...
    station = "Mun-Ui"                  # ... and/or station ...
    columns = ["*(Mun-Ui)"]             # ... and/or column glob patterns (all must match)
    by = "doy"                          # every other key is a parameter of the method
    doy_window = 21

Selectors may be a string or a list; a rule without selectors applies to every
series. (``parameter`` is accepted as an older name of ``variable``.) A rule may
be switched off with ``enabled = false``. Everything is validated before any
data is touched; an error names the file, the rule (number, name and line) and
the key, e.g.::

    qc.toml, rule 2 'seasonal outlier' (line 9): threshold of iqr must be > 0; got -1
"""

from __future__ import annotations

import json
import math
import numbers
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from .errors import AquaflagError, ConfigError
from .rules import Rule, resolve_rules
from .variables import VARIABLES, describe, series_of

__all__ = ["Config", "load", "parse", "rules_to_toml", "SELECTOR_KEYS", "starter", "template_text"]

#: Keys of a ``[[rule]]`` table that are not method parameters.
SELECTOR_KEYS = ("name", "method", "severity", "columns", "variable", "parameter", "station",
                 "enabled")


@dataclass(frozen=True)
class Config:
    """A validated QC configuration.

    Attributes
    ----------
    rules : list of Rule
        The enabled rules, resolved (parameters complete).
    mapping : dict
        ``[columns]``: what columns measure (see :func:`aquaflag.variables.describe`).
    text : str
        The configuration as written (kept with every run).
    source : str
        Where it came from (a path, or ``"<config>"``).
    """

    rules: list[Rule]
    mapping: dict[str, Any] = field(default_factory=dict)
    text: str = ""
    source: str = "<config>"


def _toml():
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    return tomllib


def load(path) -> Config:
    """Read and validate a TOML configuration file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(f"{path}: configuration file not found") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text; save the configuration as UTF-8") from None
    return parse(text, source=str(path))


def parse(text: str, *, source: str = "<config>") -> Config:
    """Parse and validate configuration text."""
    tomllib = _toml()
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from None
    unknown = [k for k in doc if k not in ("rule", "columns")]
    if unknown:
        raise ConfigError(f"{source}: unknown top-level key {unknown[0]!r}; rules go in [[rule]] "
                          "tables, column meanings in a [columns] table")
    mapping = _mapping(doc.get("columns", {}), source)
    tables = doc.get("rule", [])
    if not isinstance(tables, list) or not tables:
        raise ConfigError(f"{source}: no rules; add at least one [[rule]] table with a method")
    lines = _rule_lines(text)
    rules = []
    for i, table in enumerate(tables):
        where = _where(source, i, table, lines)
        rule = _rule_from_table(table, where)
        if rule is None:
            continue
        try:
            resolve_rules([rule])
        except AquaflagError as exc:
            raise ConfigError(f"{where}: {exc}") from None
        rules.append(rule)
    if not rules:
        raise ConfigError(f"{source}: every rule is disabled")
    try:
        return Config(rules=resolve_rules(rules), mapping=mapping, text=text, source=source)
    except AquaflagError as exc:
        raise ConfigError(f"{source}: {exc}") from None


def _mapping(table: Any, source: str) -> dict[str, Any]:
    """The ``[columns]`` table, checked entry by entry."""
    if not isinstance(table, Mapping):
        raise ConfigError(f"{source}: [columns] must be a table: column = \"variable\" or "
                          "column = {{ variable = ..., unit = ..., station = ... }}")
    for column, entry in table.items():
        try:
            describe([column], mapping={column: entry})
        except (TypeError, KeyError) as exc:
            raise ConfigError(f"{source}, [columns]: {str(exc).strip(chr(34) + chr(39))}") from None
    return dict(table)


def _rule_lines(text: str) -> list[int]:
    """Line numbers (1-based) of each ``[[rule]]`` header, in order."""
    return [n for n, line in enumerate(text.splitlines(), 1) if re.match(r"\s*\[\[\s*rule\s*\]\]", line)]


def _where(source: str, i: int, table: Mapping, lines: list[int]) -> str:
    name = table.get("name") if isinstance(table, Mapping) else None
    line = f" (line {lines[i]})" if i < len(lines) else ""
    label = f" {name!r}" if isinstance(name, str) else ""
    return f"{source}, rule {i + 1}{label}{line}"


def _rule_from_table(table: Any, where: str) -> Rule | None:
    if not isinstance(table, Mapping):
        raise ConfigError(f"{where}: a rule must be a table of keys")
    enabled = table.get("enabled", True)
    if not isinstance(enabled, bool):
        raise ConfigError(f"{where}: enabled must be true or false (no quotes); got {enabled!r}")
    if not enabled:
        return None
    if "variable" in table and "parameter" in table:
        raise ConfigError(f"{where}: give variable or parameter (its older name), not both")
    if "method" not in table:
        raise ConfigError(f"{where}: missing 'method' (see `aquaflag methods` for the names)")
    params = {k: _from_toml(v) for k, v in table.items() if k not in SELECTOR_KEYS}
    name = table.get("name", "")
    if not isinstance(name, str):
        raise ConfigError(f"{where}: name must be a string")
    return Rule(
        method=str(table["method"]),
        params=params,
        columns=_strings(table, "columns", where),
        severity=table.get("severity"),
        label=name,
        variables=_strings(table, "variable" if "variable" in table else "parameter", where),
        stations=_strings(table, "station", where),
    )


def _strings(table: Mapping, key: str, where: str) -> tuple[str, ...] | None:
    value = table.get(key)
    if value is None:
        return None
    if isinstance(value, str):
        return (value,)
    if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
        return tuple(value)
    raise ConfigError(f"{where}: {key} must be a string or a list of strings; got {value!r}")


def _from_toml(value: Any) -> Any:
    # TOML arrays are lists; parameters that take several numbers (no-data codes) want tuples.
    return tuple(value) if isinstance(value, list) else value


def rules_to_toml(rules: Sequence[Rule]) -> str:
    """The TOML text of resolved rules (every parameter written out), to reproduce a run.

    :func:`parse` of the text gives the same rules.
    """
    out = []
    for rule in rules:
        out.append("[[rule]]")
        out.append(f"name = {_toml_value(rule.label)}")
        out.append(f"method = {_toml_value(rule.method)}")
        if rule.severity:
            out.append(f"severity = {_toml_value(rule.severity)}")
        for key, value in (("columns", rule.columns), ("variable", rule.variables),
                           ("station", rule.stations)):
            if value is not None:
                out.append(f"{key} = {_toml_value(list(value))}")
        for key, value in rule.params.items():
            if value is None:
                out.append(f"# {key} = (not set)")
            else:
                out.append(f"{key} = {_toml_value(value)}")
        out.append("")
    return "\n".join(out)


def _toml_value(value: Any) -> str:
    """A Python value as a TOML value (numbers incl. nan/inf, strings escaped, arrays)."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Real):
        f = float(value)
        if math.isnan(f):
            return "nan"
        if math.isinf(f):
            return "inf" if f > 0 else "-inf"
        return repr(f)
    if isinstance(value, (list, tuple, np.ndarray)):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return json.dumps(str(value), ensure_ascii=False)  # a valid TOML basic string

_HEADER = '''\
# aquaflag QC configuration: starter for {source}
# {n_rows} rows, {n_cols} value columns, typical step {step} -> {kind} template.
# Columns and what aquaflag recognised in their names:
{columns}
#
# Each [[rule]] applies one method (see `aquaflag methods NAME`) to the columns it
# selects (columns = globs, parameter = ph/do/temperature/..., station = ...).
# severity: "suspect" (QARTOD 3) or "fail" (QARTOD 4). Remove or disable
# (enabled = false) what you do not need. Run: aquaflag run -c THIS_FILE {source}
'''

#: The configurations shipped with aquaflag (``src/aquaflag/templates``): the weekly one
#: finds all 23 injected anomalies of the demo data; the sensor one was tuned and scored
#: on technician-labelled data (docs/benchmarks.md).
TEMPLATES = {"weekly": "weekly_reservoir.toml", "sensor": "sensor_15min.toml"}


def template_text(name: str) -> str:
    """The text of a shipped configuration: ``"weekly"`` or ``"sensor"``."""
    from importlib.resources import files

    if name not in TEMPLATES:
        raise ConfigError(f"template must be one of {', '.join(map(repr, TEMPLATES))}; got {name!r}")
    return files("aquaflag").joinpath("templates", TEMPLATES[name]).read_text(encoding="utf-8")


def starter(data, *, source: str = "DATA", template: str | None = None) -> str:
    """A commented starter configuration for ``data``: a shipped template and a header
    listing what aquaflag recognised in each column, with a ``[columns]`` stub for the
    columns it did not recognise.

    ``data`` is a frame as :func:`aquaflag.read` returns it. ``template`` is "weekly"
    or "sensor"; by default chosen from the data's time step (sensor when the median
    step is under a day).
    """
    import pandas as pd

    if not isinstance(data, pd.DataFrame):
        raise ConfigError("starter needs a DataFrame (e.g. from aquaflag.read)")
    step = None
    if isinstance(data.index, pd.DatetimeIndex) and len(data.index) > 1:
        step = pd.Series(data.index).diff().median()
    if template is None:
        template = "sensor" if step is not None and step < pd.Timedelta("1D") else "weekly"
    lines, unknown = [], []
    for col, info in series_of(data).items():
        if info.variable is None:
            unknown.append(col)
            what = "unknown variable: say what it measures in [columns] below"
        else:
            what = info.variable.key + (f" ({info.unit})" if info.unit else "")
        lines.append(f"#   {col}: {what}" + (f", station {info.station}" if info.station else ""))
    header = _HEADER.format(
        source=source, n_rows=len(data), n_cols=len(data.columns),
        step=str(step) if step is not None else "unknown", kind=template,
        columns="\n".join(lines),
    )
    if unknown:
        keys = ", ".join(v.key for v in VARIABLES)
        header += ("\n# Columns aquaflag did not recognise are checked only by rules without a "
                   "variable selector.\n# Say what they measure (variables: " + keys + "):\n"
                   "# [columns]\n" + "".join(f"# {_toml_key(c)} = \"\"\n" for c in unknown))
    return header + "\n" + template_text(template)


def _toml_key(name: str) -> str:
    """A TOML key: bare when it can be, else quoted."""
    return name if re.fullmatch(r"[A-Za-z0-9_-]+", name) else _toml_value(name)
