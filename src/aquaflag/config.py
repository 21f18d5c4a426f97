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

Alarms (for always-on QC, :mod:`aquaflag.alarms`) are ``[[alarm]]`` tables with
the same selectors as rules, and a ``[notify]`` table for e-mail::

    [[alarm]]
    name = "DO fails"                    # required: an alarm is known by its name
    when = "fail"                        # "fail", "no_data" or "rule"
    variable = "do"
    webhook = "http://alarms.local/hook" # POST JSON; or webhook_env = "NAME_OF_ENV_VAR"
    email = ["duty@example.org"]

    [[alarm]]
    name = "sonde silent"
    when = "no_data"
    after = 4                            # x the series' sampling interval, or a span: "2h"
    webhook = "http://alarms.local/hook"

    [[alarm]]
    name = "stuck"
    when = "rule"
    rule = ["stuck sensor"]              # rule names of this file
    email = "duty@example.org"

    [notify]
    smtp_host = "mail.example.org"
    smtp_port = 587
    from = "aquaflag@example.org"
    starttls = true
    user = "aquaflag"
    password_env = "AQUAFLAG_SMTP_PASSWORD"  # the password itself never goes in the file
    timeout = 10                         # seconds, per delivery attempt
    retries = 2                          # further attempts, after 1 s, 2 s, ... (backoff)

Errors name the alarm the same way: ``qc.toml, alarm 1 'DO fails' (line 3): ...``.
"""

from __future__ import annotations

import json
import math
import numbers
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Mapping, Sequence

import numpy as np

from .errors import AquaflagError, ConfigError
from .rules import Rule, resolve_rules
from .variables import VARIABLES, describe, series_of

if TYPE_CHECKING:
    from .result import RuleLike

__all__ = ["Config", "AlarmSpec", "Notify", "load", "parse", "rules_to_toml", "SELECTOR_KEYS",
           "ALARM_KINDS", "starter", "template_text"]

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
    alarms : tuple of AlarmSpec
        ``[[alarm]]`` tables: when to raise an alarm and where to send it.
    notify : Notify
        ``[notify]``: how alarms are delivered (SMTP server, timeout, retries).
    """

    rules: list[Rule]
    mapping: dict[str, Any] = field(default_factory=dict)
    text: str = ""
    source: str = "<config>"
    alarms: tuple["AlarmSpec", ...] = ()
    notify: "Notify" = field(default_factory=lambda: Notify())


def _toml():
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # Python 3.10
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
    unknown = [k for k in doc if k not in ("rule", "columns", "alarm", "notify")]
    if unknown:
        raise ConfigError(f"{source}: unknown top-level key {unknown[0]!r}; rules go in [[rule]] "
                          "tables, column meanings in a [columns] table, alarms in [[alarm]] "
                          "tables and their delivery in a [notify] table")
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
        resolved = resolve_rules(rules)
    except AquaflagError as exc:
        raise ConfigError(f"{source}: {exc}") from None
    notify = _notify(doc.get("notify", {}), source, text)
    alarms = _alarms(doc.get("alarm", []), source, text, resolved, notify)
    return Config(rules=resolved, mapping=mapping, text=text, source=source, alarms=alarms,
                  notify=notify)


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


def rules_to_toml(rules: Sequence[RuleLike]) -> str:
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
    return files("aquaflag").joinpath("templates").joinpath(TEMPLATES[name]).read_text(encoding="utf-8")


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



# --------------------------------------------------------------------------- alarms
#: What can raise an alarm (``when`` of an ``[[alarm]]`` table).
ALARM_KINDS = ("fail", "no_data", "rule")
_ALARM_KEYS = ("name", "when", "after", "rule", "columns", "variable", "parameter", "station",
               "webhook", "webhook_env", "email", "timezone", "enabled")
_NOTIFY_KEYS = ("smtp_host", "smtp_port", "from", "starttls", "ssl", "user", "password_env",
                "timeout", "retries", "backoff")


@dataclass(frozen=True)
class Notify:
    """How alarms are delivered: the ``[notify]`` table.

    Attributes
    ----------
    smtp_host, smtp_port : str or None, int
        The SMTP server for e-mail alarms (port default: 465 with ``ssl``,
        587 with ``starttls``, else 25).
    sender : str
        The ``From`` address (key ``from``).
    starttls, ssl : bool
        Upgrade the connection with STARTTLS, or connect with TLS from the start.
    user : str or None
        SMTP login; the password is read from the environment variable
        ``password_env`` when an alarm is sent (never from the file).
    password_env : str or None
        Name of the environment variable holding the SMTP password.
    timeout : float
        Seconds per delivery attempt (webhook request or SMTP session).
    retries : int
        Further attempts after a failed one, waiting ``backoff``, 2 x ``backoff``, ...
    backoff : float
        Seconds before the first retry.
    """

    smtp_host: str | None = None
    smtp_port: int = 25
    sender: str = "aquaflag@localhost"
    starttls: bool = False
    ssl: bool = False
    user: str | None = None
    password_env: str | None = None
    timeout: float = 10.0
    retries: int = 2
    backoff: float = 1.0


@dataclass(frozen=True)
class AlarmSpec:
    """One ``[[alarm]]`` table: when to raise an alarm, for which series, and where to send it.

    Attributes
    ----------
    name : str
        The alarm's name (with the series, the key under which it stays open).
    when : {"fail", "no_data", "rule"}
        ``fail``: a value judged FAIL; ``no_data``: no value for ``after``;
        ``rule``: one of the rules ``rules`` flagged a value.
    selector : Rule
        The series the alarm watches (the same selectors as a rule: columns,
        variable, station; use :meth:`selects`).
    after_count, after_ns : int or None
        For ``no_data``: silence allowed, as a number of sampling intervals or
        a time span (ns); exactly one is set.
    rules : tuple of str
        For ``rule``: the rule labels that raise it.
    webhooks : tuple of str
        URLs a JSON message is POSTed to.
    webhook_envs : tuple of str
        Environment variables holding webhook URLs (for URLs with a secret token).
    emails : tuple of str
        Recipients (needs ``[notify] smtp_host``).
    timezone : str or None
        For ``no_data`` on series with naive times: their time zone (default:
        this machine's).
    line : int or None
        Line of the ``[[alarm]]`` header in the file.
    """

    name: str
    when: str
    selector: Rule
    after_count: int | None = None
    after_ns: int | None = None
    rules: tuple[str, ...] = ()
    webhooks: tuple[str, ...] = ()
    webhook_envs: tuple[str, ...] = ()
    emails: tuple[str, ...] = ()
    timezone: str | None = None
    line: int | None = None

    def selects(self, info) -> bool:
        """Whether the alarm watches the series ``info`` (a :class:`~aquaflag.variables.SeriesInfo`)."""
        return self.selector.selects(info)


def _table_lines(text: str, name: str) -> list[int]:
    """Line numbers (1-based) of each ``[[name]]`` header, in order."""
    return [n for n, line in enumerate(text.splitlines(), 1)
            if re.match(r"\s*\[\[\s*" + name + r"\s*\]\]", line)]


def _notify(table: Any, source: str, text: str) -> Notify:
    """The ``[notify]`` table, checked key by key."""
    line = next((n for n, ln in enumerate(text.splitlines(), 1) if re.match(r"\s*\[\s*notify\s*\]", ln)),
                None)
    where = f"{source}, [notify]" + (f" (line {line})" if line else "")
    if not isinstance(table, Mapping):
        raise ConfigError(f"{where}: [notify] must be a table of keys")
    if "password" in table:
        raise ConfigError(f"{where}: no password in the file; put it in an environment variable "
                          "and name that variable: password_env = \"AQUAFLAG_SMTP_PASSWORD\"")
    for key in table:
        if key not in _NOTIFY_KEYS:
            raise ConfigError(f"{where}: unknown key {key!r}; {_did_you_mean(key, _NOTIFY_KEYS)}"
                              f"keys: {', '.join(_NOTIFY_KEYS)}")

    def text_key(key, default=None):
        value = table.get(key, default)
        if value is not None and (not isinstance(value, str) or not value.strip()):
            raise ConfigError(f"{where}: {key} must be a non-empty string; got {value!r}")
        return value

    def flag(key):
        value = table.get(key, False)
        if not isinstance(value, bool):
            raise ConfigError(f"{where}: {key} must be true or false (no quotes); got {value!r}")
        return value

    def number(key, default, lo, integral=False):
        value = table.get(key, default)
        ok = isinstance(value, numbers.Integral if integral else numbers.Real) and not isinstance(value, bool)
        if not ok or not math.isfinite(value) or value < lo:
            kind = "a whole number" if integral else "a number"
            raise ConfigError(f"{where}: {key} must be {kind} >= {lo}; got {value!r}")
        return int(value) if integral else float(value)

    starttls, ssl = flag("starttls"), flag("ssl")
    if starttls and ssl:
        raise ConfigError(f"{where}: give starttls (upgrade a plain connection, port 587) or ssl "
                          "(TLS from the start, port 465), not both")
    port = number("smtp_port", 465 if ssl else 587 if starttls else 25, 1, integral=True)
    if port > 65535:
        raise ConfigError(f"{where}: smtp_port must be a port number (1-65535); got {port}")
    sender = text_key("from", "aquaflag@localhost")
    if "@" not in sender:
        raise ConfigError(f"{where}: from must be an e-mail address; got {sender!r}")
    user, password_env = text_key("user"), text_key("password_env")
    if password_env is not None and not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", password_env):
        raise ConfigError(f"{where}: password_env must be the NAME of an environment variable "
                          f"(letters, digits, _); got {password_env!r}")
    if password_env is not None and user is None:
        raise ConfigError(f"{where}: password_env needs user (the SMTP login)")
    return Notify(smtp_host=text_key("smtp_host"), smtp_port=port, sender=sender, starttls=starttls,
                  ssl=ssl, user=user, password_env=password_env,
                  timeout=number("timeout", 10.0, 0.1), retries=number("retries", 2, 0, integral=True),
                  backoff=number("backoff", 1.0, 0.0))


def _did_you_mean(name, options) -> str:
    from .errors import did_you_mean

    return did_you_mean(name, options)


def _alarms(tables: Any, source: str, text: str, rules: Sequence[Rule], notify: Notify
            ) -> tuple[AlarmSpec, ...]:
    if not isinstance(tables, list):
        raise ConfigError(f"{source}: alarms go in [[alarm]] tables (double brackets)")
    lines = _table_lines(text, "alarm")
    out: list[AlarmSpec] = []
    for i, table in enumerate(tables):
        name = table.get("name") if isinstance(table, Mapping) else None
        where = (f"{source}, alarm {i + 1}" + (f" {name!r}" if isinstance(name, str) else "")
                 + (f" (line {lines[i]})" if i < len(lines) else ""))
        spec = _alarm(table, where, rules, notify, lines[i] if i < len(lines) else None)
        if spec is None:
            continue
        if any(a.name == spec.name for a in out):
            raise ConfigError(f"{where}: another alarm is named {spec.name!r}; give each alarm a "
                              "distinct name (an alarm is known by it while it is open)")
        out.append(spec)
    return tuple(out)


def _alarm(table: Any, where: str, rules: Sequence[Rule], notify: Notify, line: int | None
           ) -> AlarmSpec | None:
    if not isinstance(table, Mapping):
        raise ConfigError(f"{where}: an alarm must be a table of keys")
    for key in table:
        if key not in _ALARM_KEYS:
            raise ConfigError(f"{where}: unknown key {key!r}; {_did_you_mean(key, _ALARM_KEYS)}"
                              f"keys: {', '.join(_ALARM_KEYS)}")
    enabled = table.get("enabled", True)
    if not isinstance(enabled, bool):
        raise ConfigError(f"{where}: enabled must be true or false (no quotes); got {enabled!r}")
    if not enabled:
        return None
    name = table.get("name")
    if not isinstance(name, str) or not name.strip():
        raise ConfigError(f"{where}: missing 'name' (an alarm is known by its name while it is open)")
    when = table.get("when")
    if when not in ALARM_KINDS:
        raise ConfigError(f"{where}: when must be one of {', '.join(map(repr, ALARM_KINDS))}; "
                          f"got {when!r}")
    if "variable" in table and "parameter" in table:
        raise ConfigError(f"{where}: give variable or parameter (its older name), not both")
    selector = Rule(method="gross_range", columns=_strings(table, "columns", where),
                    variables=_strings(table, "variable" if "variable" in table else "parameter", where),
                    stations=_strings(table, "station", where), label=name)
    after_count = after_ns = None
    if when == "no_data":
        from .windows import WindowError, parse_window

        after = table.get("after", 4)
        try:
            window = parse_window(after)
        except WindowError as exc:
            raise ConfigError(f"{where}: after {exc} (a number of sampling intervals, or a span "
                              "such as '2h')") from None
        after_count, after_ns = window.count, window.span_ns
    elif "after" in table:
        raise ConfigError(f"{where}: after goes with when = \"no_data\" only")
    if "timezone" in table:
        tz = table["timezone"]
        if when != "no_data":
            raise ConfigError(f"{where}: timezone goes with when = \"no_data\" only")
        try:
            import zoneinfo

            zoneinfo.ZoneInfo(str(tz))
        except (ValueError, zoneinfo.ZoneInfoNotFoundError):
            raise ConfigError(f"{where}: timezone must be an IANA zone name such as "
                              f"'Asia/Seoul'; got {tz!r}") from None
    named: tuple[str, ...] = ()
    if when == "rule":
        named = _strings(table, "rule", where) or ()
        if not named:
            raise ConfigError(f"{where}: when = \"rule\" needs rule = the name(s) of the rule(s) "
                              "that raise it")
        labels = [r.label for r in rules]
        for label in named:
            if label not in labels:
                raise ConfigError(f"{where}: no rule named {label!r} in this file; "
                                  f"{_did_you_mean(label, labels)}rules: {', '.join(labels)}")
    elif "rule" in table:
        raise ConfigError(f"{where}: rule goes with when = \"rule\" only")
    webhooks = _strings(table, "webhook", where) or ()
    for url in webhooks:
        if not re.match(r"https?://[^/\s]+", url):
            raise ConfigError(f"{where}: webhook must be an http:// or https:// URL; got {url!r}")
    envs = _strings(table, "webhook_env", where) or ()
    for env in envs:
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", env):
            raise ConfigError(f"{where}: webhook_env must be the NAME of an environment variable; "
                              f"got {env!r}")
    emails = _strings(table, "email", where) or ()
    for address in emails:
        if not re.fullmatch(r"[^@\s]+@[^@\s]+", address):
            raise ConfigError(f"{where}: email must be e-mail addresses; got {address!r}")
    if not (webhooks or envs or emails):
        raise ConfigError(f"{where}: no target; give webhook = \"http://...\" and/or "
                          "email = [\"...\"]")
    if emails and not notify.smtp_host:
        raise ConfigError(f"{where}: email needs an SMTP server: add a [notify] table with "
                          "smtp_host (and from, smtp_port, ...)")
    return AlarmSpec(name=name.strip(), when=when, selector=selector, after_count=after_count,
                     after_ns=after_ns, rules=named, webhooks=webhooks, webhook_envs=envs,
                     emails=emails, timezone=table.get("timezone"), line=line)
