"""QC configuration files (TOML, human-written) -> validated rules.

A configuration is a list of rules, each a ``[[rule]]`` table::

    # Weekly reservoir QC
    [[rule]]
    name = "physical range"          # the rule's label in tables (default: the method)
    method = "gross_range"
    severity = "fail"                # "suspect" (default for most methods) or "fail"

    [[rule]]
    name = "seasonal outlier"
    method = "iqr"
    parameter = ["temperature", "do"]   # select columns by parameter ...
    station = "Mun-Ui"                  # ... and/or station ...
    columns = ["*(Mun-Ui)"]             # ... and/or glob patterns (all must match)
    by = "doy"                          # every other key is a parameter of the method
    doy_window = 21

Selectors may be a string or a list; a rule without selectors applies to every
column. A rule may be switched off with ``enabled = false``. Everything is
validated before any data is touched; an error names the file, the rule
(number, name and line) and the key, e.g.::

    qc.toml, rule 2 'seasonal outlier' (line 9): threshold of iqr must be > 0; got -1
"""

from __future__ import annotations

import json
import math
import numbers
import re
from pathlib import Path
from typing import Any, Mapping, Sequence

import numpy as np

from .engine import Rule, resolve_rules
from .errors import AquaflagError, ConfigError

__all__ = ["load", "parse", "rules_to_toml", "SELECTOR_KEYS"]

#: Keys of a ``[[rule]]`` table that are not method parameters.
SELECTOR_KEYS = ("name", "method", "severity", "columns", "parameter", "station", "enabled")


def _toml():
    try:
        import tomllib
    except ModuleNotFoundError:  # Python 3.10
        import tomli as tomllib
    return tomllib


def load(path) -> list[Rule]:
    """Read and validate a TOML configuration file; return its (resolved) rules."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigError(f"{path}: configuration file not found") from None
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text; save the configuration as UTF-8") from None
    return parse(text, source=str(path))


def parse(text: str, *, source: str = "<config>") -> list[Rule]:
    """Parse and validate configuration text; return the resolved rules."""
    tomllib = _toml()
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: not valid TOML: {exc}") from None
    unknown = [k for k in doc if k != "rule"]
    if unknown:
        raise ConfigError(f"{source}: unknown top-level key {unknown[0]!r}; rules go in [[rule]] tables")
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
        return resolve_rules(rules)
    except AquaflagError as exc:
        raise ConfigError(f"{source}: {exc}") from None


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
    if table.get("enabled", True) is False:
        return None
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
        parameters=_strings(table, "parameter", where),
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
        for key, value in (("columns", rule.columns), ("parameter", rule.parameters),
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
    listing what aquaflag recognised in each column name.

    ``template`` is "weekly" or "sensor"; by default chosen from the data's time step
    (sensor when the median step is under a day).
    """
    import pandas as pd

    from .engine import prepare_frame
    from .parameters import parameter_of, parse_column

    frame, _, _ = prepare_frame(data)
    step = None
    if isinstance(frame.index, pd.DatetimeIndex) and len(frame.index) > 1:
        step = pd.Series(frame.index).diff().median()
    if template is None:
        template = "sensor" if step is not None and step < pd.Timedelta("1D") else "weekly"
    lines = []
    for col in frame.columns:
        param = parameter_of(str(col))
        name, station = parse_column(str(col))
        what = param.key if param else "unknown parameter (gross_range needs lower/upper)"
        lines.append(f"#   {col}: {what}" + (f", station {station}" if station else ""))
    header = _HEADER.format(
        source=source, n_rows=len(frame), n_cols=len(frame.columns),
        step=str(step) if step is not None else "unknown", kind=template,
        columns="\n".join(lines),
    )
    return header + "\n" + template_text(template)
