"""Rules: a configured use of a method.

A *method* is a registered detection function (``zscore``, ``spike``, ...). A
*rule* is one use of it in a QC run: the method, its parameters, the series it
selects (by column pattern, variable and station) and the severity of what it
flags. ``aquaflag.detect(method=...)`` makes one rule per method; a QC
configuration file (:mod:`aquaflag.config`) holds any number of rules.
"""

from __future__ import annotations

import fnmatch
import warnings
from dataclasses import dataclass, field, replace
from typing import Any, Mapping, Sequence

from . import methods as _methods  # noqa: F401  (importing registers every method)
from . import registry
from .errors import ParameterError
from .flags import severity_flag
from .variables import SeriesInfo

__all__ = ["Rule", "resolve_rules", "SEED", "rules_for"]

#: The four tests of the Daecheong hands-on (its Mode 1-4), run side by side by
#: ``method="seed"``.
SEED = ("zscore", "modified_zscore", "iqr", "adjusted_boxplot")


@dataclass(frozen=True)
class Rule:
    """One method with its parameters, applied to the series it selects.

    Attributes
    ----------
    method : str
        A registered method name (``aquaflag methods`` lists them).
    params : dict
        The method's parameters (validated and completed with defaults by
        :meth:`resolve`).
    columns : tuple of str or None
        Column names or glob patterns (``"pH*"``); None selects every column.
    severity : {"suspect", "fail"} or None
        The flag set on the values the rule flags (None: the method's default).
    label : str
        The rule's name in tables (defaults to the method name).
    variables : tuple of str or None
        Variables the rule applies to: known keys (``"ph"``, ``"do"``, see
        :data:`aquaflag.variables.VARIABLES`) or names as written.
    stations : tuple of str or None
        Stations the rule applies to.

    All given selectors must match.
    """

    method: str
    params: Mapping[str, Any] = field(default_factory=dict)
    columns: tuple[str, ...] | None = None
    severity: str | None = None
    label: str = ""
    variables: tuple[str, ...] | None = None
    stations: tuple[str, ...] | None = None

    def resolve(self) -> "Rule":
        """Validate the method and parameters; fill defaults, severity and label."""
        spec = registry.get(self.method)
        params = spec.validate(dict(self.params))
        severity = self.severity or spec.default_severity
        severity_flag(severity)
        return replace(self, method=spec.name, params=params, severity=severity,
                       label=self.label or spec.name)

    @property
    def reach(self) -> registry.Reach:
        """How far around a value the rule looks (its method's reach with its parameters)."""
        return registry.get(self.method).reach(dict(self.params))

    @property
    def context(self) -> tuple[str, ...]:
        """The data context the rule's method takes (``times``, ``series``, ``siblings``)."""
        return registry.get(self.method).context

    def selection(self) -> str:
        """The rule's selectors in words (empty when it applies to every series)."""
        parts = [f"{name} {', '.join(values)}" for name, values in
                 (("columns", self.columns), ("variable", self.variables),
                  ("station", self.stations))
                 if values is not None]
        return "; ".join(parts)

    def selects(self, info: SeriesInfo) -> bool:
        """Whether this rule applies to the series ``info`` describes."""
        column = info.column
        if self.columns is not None and not any(
            column == pat or fnmatch.fnmatchcase(column, pat) for pat in self.columns
        ):
            return False
        if self.stations is not None and (info.station or "").casefold() not in {
            s.casefold() for s in self.stations
        }:
            return False
        if self.variables is not None:
            wanted = {v.casefold() for v in self.variables}
            if info.name.casefold() not in wanted and (info.key is None or info.key not in wanted):
                return False
        return True

    def changed_params(self, params: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The parameters set to something other than their default."""
        declared = registry.get(self.method).params
        given = self.params if params is None else params
        return {k: v for k, v in given.items() if k not in declared or v != declared[k].default}

    def params_text(self, params: Mapping[str, Any] | None = None) -> str:
        """``"threshold=3.0, window=96"``: the first parameter and every one not at its default."""
        given = dict(self.params if params is None else params)
        changed = self.changed_params(given)
        first = next(iter(given.items()), None)
        shown = ([first] if first is not None and first[0] not in changed else []) + list(changed.items())
        return ", ".join(f"{k}={v}" for k, v in shown)


def resolve_rules(rules: Sequence[Rule]) -> list[Rule]:
    """Validate every rule once (method, parameters, severity) and check labels are unique."""
    for r in rules:
        if not isinstance(r, Rule):
            raise ParameterError(f"rules must be aquaflag.Rule objects; got {r!r}")
    resolved = [r.resolve() for r in rules]
    labels = [r.label for r in resolved]
    dupes = {lab for lab in labels if labels.count(lab) > 1}
    if dupes:
        raise ParameterError(f"two rules share the label {sorted(dupes)[0]!r}; give each a distinct label")
    return resolved


def rules_for(method, **params: Any) -> list[Rule]:
    """The rules :func:`aquaflag.detect` runs for ``method`` and ``params``.

    ``method`` is a method name, a list of names, ``"seed"`` (the four seed
    tests; ``"all"`` is an older name for it) or a dict ``{method: {param:
    value}}``.

    Examples
    --------
    >>> [r.method for r in rules_for("seed")]
    ['zscore', 'modified_zscore', 'iqr', 'adjusted_boxplot']
    """
    if isinstance(method, Mapping):
        if params:
            raise ParameterError(
                "give parameters inside the method dict, e.g. "
                "method={'zscore': {'threshold': 2.5}}, not as keywords"
            )
        return [Rule(m, dict(p or {})) for m, p in method.items()]
    if isinstance(method, str):
        key = method.strip().lower()
        if key == "all":
            warnings.warn("method='all' is now called method='seed' (the four seed tests, not "
                          "every method); 'all' will be removed", DeprecationWarning, stacklevel=3)
        names = list(SEED) if key in ("seed", "all") else [method]
    elif isinstance(method, (list, tuple)):
        names = list(method)
    else:
        raise ParameterError(
            f"method must be a name, a list of names, a dict or 'seed'; got {method!r}")
    if not names:
        raise ParameterError("method is an empty list; name at least one method")
    if len(names) > 1 and params:
        # A parameter like threshold means different things to zscore (3) and iqr (1.5).
        raise ParameterError(
            f"parameters {', '.join(params)} would apply to {len(names)} methods at once; "
            "give per-method parameters as method={'zscore': {'threshold': 2.5}, ...}"
        )
    return [Rule(m, dict(params)) for m in names]
