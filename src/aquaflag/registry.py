"""The method registry: every detection method registers itself here.

A method is a pure function ``f(values, **params) -> Detection``. Its
parameters are declared once, as data (:class:`Interval`, :class:`Options`,
...). That declaration drives call-time validation (one message form:
``"threshold of zscore must be > 0; got -1"``), configuration validation, the
``aquaflag methods NAME`` help, and the generated bad-parameter tests.
"""

from __future__ import annotations

import functools
import inspect
import math
import numbers
from dataclasses import dataclass
from typing import Any, Callable, Mapping

import numpy as np

from .errors import ParameterError, did_you_mean
from .variables import SeriesInfo, describe as describe_series
from .windows import Window, WindowError, parse_window
from .windows import describe as describe_windows

__all__ = [
    "Interval",
    "Options",
    "Boolean",
    "Text",
    "NumberList",
    "WindowSpan",
    "Param",
    "MethodSpec",
    "register",
    "get",
    "names",
    "specs",
    "CONTEXT",
    "Reach",
    "POINTWISE",
    "WHOLE",
]


class Constraint:
    """A rule a parameter value must satisfy."""

    def check(self, value: Any) -> Any:
        """Return the (possibly normalised) value, or raise ``ValueError(reason)``."""
        raise NotImplementedError

    def describe(self) -> str:
        """Describe the allowed values in a few words."""
        raise NotImplementedError

    def bad_values(self) -> list[Any]:
        """Values that violate the constraint (for generated tests)."""
        return []

    def example(self) -> Any:
        """A value that satisfies the constraint (for generated tests)."""
        raise NotImplementedError


@dataclass(frozen=True)
class Interval(Constraint):
    """A real or integer number in an interval.

    Parameters
    ----------
    type : {float, int}
        ``int`` accepts integers only; ``float`` accepts any real number.
    left, right : float or None
        The bounds; ``None`` means unbounded.
    closed : {"both", "left", "right", "neither"}
        Which bounds belong to the interval.
    """

    type: type
    left: float | None = None
    right: float | None = None
    closed: str = "both"

    def check(self, value: Any) -> Any:
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            raise ValueError(f"must be a {'whole ' if self.type is int else ''}number")
        if self.type is int:
            if isinstance(value, numbers.Integral):
                value = int(value)
            elif float(value).is_integer():
                value = math.trunc(value)  # a Real need not have __int__ (it has __trunc__)
            else:
                raise ValueError("must be a whole number")
        else:
            value = float(value)
            if math.isnan(value):
                raise ValueError("must be a number, not NaN")
        lo_ok = self.left is None or (
            value >= self.left if self.closed in ("both", "left") else value > self.left
        )
        hi_ok = self.right is None or (
            value <= self.right if self.closed in ("both", "right") else value < self.right
        )
        if not (lo_ok and hi_ok):
            raise ValueError(f"must be {self.describe()}")
        return value

    def describe(self) -> str:
        parts = []
        if self.left is not None:
            parts.append((">= " if self.closed in ("both", "left") else "> ") + _fmt(self.left))
        if self.right is not None:
            parts.append(("<= " if self.closed in ("both", "right") else "< ") + _fmt(self.right))
        kind = "a whole number" if self.type is int else "a number"
        return " and ".join(parts) if parts else kind

    def bad_values(self) -> list[Any]:
        bad: list[Any] = ["text", None]
        if self.left is not None:
            bad.append(self.left - 1 if self.closed in ("both", "left") else self.left)
        if self.right is not None:
            bad.append(self.right + 1 if self.closed in ("both", "right") else self.right)
        if self.type is int:
            bad.append(2.5)
        else:
            bad.append(float("nan"))
        return bad

    def example(self) -> Any:
        if self.left is not None and self.right is not None:
            mid = (self.left + self.right) / 2
        elif self.left is not None:
            mid = self.left + 1
        elif self.right is not None:
            mid = self.right - 1
        else:
            mid = 0
        return int(math.ceil(mid)) if self.type is int else float(mid)


@dataclass(frozen=True)
class Options(Constraint):
    """One of a fixed set of values."""

    values: tuple

    def check(self, value: Any) -> Any:
        if value not in self.values:
            raise ValueError(f"must be {self.describe()}")
        return value

    def describe(self) -> str:
        return "one of " + ", ".join(repr(v) for v in self.values)

    def bad_values(self) -> list[Any]:
        return ["no-such-option"]

    def example(self) -> Any:
        return self.values[0]


@dataclass(frozen=True)
class Boolean(Constraint):
    """True or False."""

    def check(self, value: Any) -> Any:
        if not isinstance(value, bool):
            raise ValueError("must be true or false")
        return value

    def describe(self) -> str:
        return "true or false"

    def bad_values(self) -> list[Any]:
        return ["yes", 2]

    def example(self) -> Any:
        return True


@dataclass(frozen=True)
class Text(Constraint):
    """A free string, optionally checked by a function that raises ``ValueError``."""

    what: str = "a string"
    validator: Callable[[str], Any] | None = None

    def check(self, value: Any) -> Any:
        if not isinstance(value, str):
            raise ValueError(f"must be {self.what}")
        return self.validator(value) if self.validator else value

    def describe(self) -> str:
        return self.what

    def bad_values(self) -> list[Any]:
        return [3.5j]

    def example(self) -> Any:
        raise NotImplementedError


@dataclass(frozen=True)
class NumberList(Constraint):
    """A non-empty list of real numbers (a single number is taken as a list of one)."""

    def check(self, value: Any) -> Any:
        if isinstance(value, numbers.Real) and not isinstance(value, bool):
            value = (value,)
        if isinstance(value, (str, bytes)) or not isinstance(value, (list, tuple)):
            if not hasattr(value, "__array__"):
                raise ValueError(f"must be {self.describe()}")
        out = []
        for v in value:
            if isinstance(v, bool) or not isinstance(v, numbers.Real) or math.isnan(float(v)):
                raise ValueError(f"must be {self.describe()}")
            out.append(float(v))
        if not out:
            raise ValueError(f"must be {self.describe()}")
        return tuple(out)

    def describe(self) -> str:
        return "a non-empty list of numbers, e.g. [-9999, -999]"

    def bad_values(self) -> list[Any]:
        return ["text", [], [1.0, "x"], [float("nan")], None]

    def example(self) -> Any:
        return (-9999.0,)


@dataclass(frozen=True)
class WindowSpan(Constraint):
    """A window in the one window grammar (:mod:`aquaflag.windows`).

    Parameters
    ----------
    min_count : int
        The fewest points a count window may have.
    allow_count, allow_time : bool
        Whether a number of points / a fixed time span is accepted.
    """

    min_count: int = 1
    allow_count: bool = True
    allow_time: bool = True

    def check(self, value: Any) -> Any:
        try:
            window = parse_window(value, allow_count=self.allow_count,
                                  allow_time=self.allow_time, min_count=self.min_count)
        except WindowError as exc:
            raise ValueError(str(exc)) from None
        return window.count if window.count is not None else window.text

    def describe(self) -> str:
        return describe_windows(allow_count=self.allow_count, allow_time=self.allow_time,
                                min_count=self.min_count)

    def bad_values(self) -> list[Any]:
        bad: list[Any] = ["two hours", "1MS", "1M", 3.5j, 2.5, "0h"]
        if self.allow_count:
            bad.append(self.min_count - 1)
        return bad

    def example(self) -> Any:
        return "2h" if self.allow_time else max(self.min_count, 3)


@dataclass(frozen=True)
class Param:
    """One declared parameter of a method."""

    name: str
    constraint: Constraint
    default: Any
    doc: str = ""
    nullable: bool = False
    #: How the default is derived from the series when the value is None (self-calibrating
    #: parameters), in words, for ``aquaflag methods NAME`` and the docs; empty otherwise.
    derived: str = ""

    def check(self, method: str, value: Any) -> Any:
        if value is None and self.nullable:
            return None
        try:
            return self.constraint.check(value)
        except ValueError as exc:
            raise ParameterError(f"{self.name} of {method} {exc}; got {value!r}") from None


@dataclass(frozen=True)
class Reach:
    """How far around a value a method looks to judge it.

    ``back`` and ``ahead`` are windows (a number of non-missing values, or a
    time span); ``None`` means the whole series: the method's statistics come
    from every value (a whole-series z-score, thresholds derived from the
    series itself). Incremental runs (:mod:`aquaflag.ingest`) use it to load
    just the context a new value needs and to re-judge the values whose
    future has just arrived.
    """

    back: Window | None
    ahead: Window | None
    #: For a method that judges nothing when the whole series is flat within this band
    #: (flat_line): the result also depends on whether the series changes anywhere, so an
    #: incremental run whose context is flat needs the last stored value outside the band.
    change_band: float | None = None

    @property
    def whole(self) -> bool:
        """Whether the method needs the whole series."""
        return self.back is None or self.ahead is None

    @property
    def causal(self) -> bool:
        """Whether a value is judged from itself and earlier values only."""
        return not self.whole and not (self.ahead.count or self.ahead.span_ns)  # type: ignore[union-attr]

    @staticmethod
    def of_window(window: Any, center: bool) -> "Reach":
        """The reach of a rolling window (count or time), centred or trailing."""
        w = parse_window(window)
        if w.count is not None:
            back = w.count // 2 if center else w.count - 1
            ahead = w.count - 1 - back
            return Reach(_count(back), _count(ahead))
        assert w.span_ns is not None
        half = Window(count=None, span_ns=w.span_ns // 2, text=f"{w.text}/2")
        return Reach(half, half) if center else Reach(w, _count(0))

    @staticmethod
    def points(back: int, ahead: int) -> "Reach":
        """A reach of a few neighbouring values."""
        return Reach(_count(back), _count(ahead))


def _count(n: int) -> Window:
    return Window(count=int(n), span_ns=None, text=str(int(n)))


#: A method that judges each value on its own.
POINTWISE = Reach.points(0, 0)
#: A method whose statistics come from the whole series.
WHOLE = Reach(None, None)


@dataclass(frozen=True)
class MethodSpec:
    """A registered detection method: its function and declared parameters."""

    name: str
    func: Callable[..., Any]
    params: dict[str, Param]
    family: str
    summary: str
    formula: str
    default_severity: str = "suspect"
    context: tuple[str, ...] = ()
    reach_of: Callable[[dict[str, Any]], Reach] | None = None

    def reach(self, params: dict[str, Any]) -> Reach:
        """How far around a value the method looks with these (validated) parameters."""
        return WHOLE if self.reach_of is None else self.reach_of(params)

    def validate(self, params: dict[str, Any]) -> dict[str, Any]:
        """Return the full parameter set (defaults filled in), validated.

        Raises
        ------
        ParameterError
            For an unknown parameter (with a suggestion) or a value out of range.
        """
        unknown = [k for k in params if k not in self.params]
        if unknown:
            name = unknown[0]
            known = ", ".join(self.params) or "none"
            tip = did_you_mean(name, self.params)
            raise ParameterError(
                f"{self.name} has no parameter {name!r}; {tip}its parameters are: {known}"
            )
        out = {}
        for pname, p in self.params.items():
            out[pname] = p.check(self.name, params[pname]) if pname in params else p.default
        return out

    def __call__(self, values, *, times=None, series=None, siblings=None, sonde=None, **params):
        """Validate ``params`` and run the method on one series.

        The context arguments (``times``: datetime64 array; ``series``: what
        the series measures, a :class:`~aquaflag.variables.SeriesInfo` or a
        column name to read it from; ``siblings``: the same variable at other
        stations; ``sonde``: the other variables at the same station) are
        passed on to methods that accept them and ignored by the others.
        """
        kwargs = self.validate(params)
        if isinstance(series, str):
            series = describe_series([series])[series]
        elif series is not None and not isinstance(series, SeriesInfo):
            raise ParameterError(f"series must be a column name or a SeriesInfo; got {series!r}")
        given = {"times": times, "series": series, "siblings": siblings, "sonde": sonde}
        kwargs.update({k: given[k] for k in self.context})
        return self.run(values, **kwargs)

    def run(self, values, **kwargs):
        """Call the method with validated parameters and context.

        Floating-point warnings are silenced: a value beyond the largest float
        gives an infinite score and is flagged like any other, and the
        warning would only reach the user's terminal as noise.
        """
        with np.errstate(all="ignore"):
            return self.func(values, **kwargs)


_REGISTRY: dict[str, MethodSpec] = {}

#: Keyword arguments a method may accept besides its parameters: data context
#: the engine supplies (timestamps, what the series measures, the same variable at
#: other stations, the other variables at the same station).
CONTEXT = ("times", "series", "siblings", "sonde")


def register(
    name: str,
    *,
    params: Mapping[str, Param | Constraint] | None = None,
    family: str,
    formula: str,
    default_severity: str = "suspect",
    reach: Reach | Callable[[dict[str, Any]], Reach] | None = None,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Register a detection method under ``name``.

    ``reach`` says how far around a value the method looks (a :class:`Reach`,
    or a function of the validated parameters returning one); by default the
    whole series.

    The decorated function keeps working as a plain function; calling it
    validates its parameters against the declaration first (the engine
    validates once and calls ``spec.func`` directly). Defaults come from
    the function signature, so they are written once. Keyword arguments
    named in :data:`CONTEXT` are data context, not parameters: the engine
    passes them to the methods whose signature has them.
    """

    params = dict(params or {})

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        sig = inspect.signature(func)
        declared: dict[str, Param] = {}
        for pname, c in params.items():
            if pname not in sig.parameters:
                raise TypeError(f"{func.__name__} declares {pname!r} but has no such keyword")
            default = sig.parameters[pname].default
            if isinstance(c, Param):
                declared[pname] = c
            else:
                declared[pname] = Param(pname, c, default, nullable=default is None)
        doc = inspect.getdoc(func) or ""
        spec = MethodSpec(
            name=name,
            func=func,
            params=declared,
            family=family,
            summary=(doc.splitlines()[0] if doc else name).replace("``", ""),
            formula=formula,
            default_severity=default_severity,
            context=tuple(c for c in CONTEXT if c in sig.parameters),
            reach_of=_fixed(reach) if isinstance(reach, Reach) else reach,
        )
        if name in _REGISTRY:
            raise ValueError(f"method {name!r} is registered twice")
        _REGISTRY[name] = spec

        @functools.wraps(func)
        def validated(values, **kwargs):
            return spec(values, **kwargs)

        validated.spec = spec  # type: ignore[attr-defined]
        return validated

    return decorate


def _fixed(reach: Reach) -> Callable[[dict[str, Any]], Reach]:
    """The reach of a method whose reach does not depend on its parameters."""
    return lambda _params: reach


def get(name: str) -> MethodSpec:
    """Return the registered method ``name``; suggest close names when unknown.

    Methods register themselves when :mod:`aquaflag.methods` is imported (``import
    aquaflag`` does it).
    """
    if not isinstance(name, str):
        raise ParameterError(f"method must be a method name (a string); got {name!r}")
    key = name.strip().lower().replace("-", "_")
    if key in _REGISTRY:
        return _REGISTRY[key]
    tip = did_you_mean(key, _REGISTRY)
    raise ParameterError(
        f"unknown method {name!r}; {tip}available: {', '.join(names())} "
        "(see `aquaflag methods`)"
    )


def names(family: str | None = None) -> list[str]:
    """Names of the registered methods, in registration order."""
    return [n for n, s in _REGISTRY.items() if family is None or s.family == family]


def specs() -> list[MethodSpec]:
    """All registered methods."""
    return list(_REGISTRY.values())


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))
