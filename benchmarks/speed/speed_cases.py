"""The measured cases: synthetic data, aquaflag calls and the tools users would pick instead.

Each case is a function ``build(n, **opts) -> Case``. Building imports what
the case needs and makes its input; :class:`Case` then holds the call to time
(``call``), an optional small warm-up on a slice of the input (``warm``: loads
lazy imports and numba kernels without raising the process's memory
high-water mark), the input's size in bytes (the float64 values only, not the
time index) and a ``summary`` of the call's output (flag count and a hash of
the flagged positions, so that rules meant to agree can be checked to agree).

Cases run in a child process (see ``speed_harness.py``); nothing here measures.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np

#: Window (points) of every rolling comparison: 8 h of 5-minute data.
WINDOW = 96
#: Number of points the warm-up call sees: enough for the compiled (numba) paths of
#: rolling_robust (> 2·10^6 window cells at w = 96) and of medcouple (>= 2^14 values per
#: half), so that loading numba is not counted in the case's time or memory.
WARM_POINTS = 100_000
#: Seed thresholds (DESIGN.md).
Z_T, MZ_T, IQR_K = 3.0, 3.5, 1.5
#: Gross range used for saqc.flagRange / aquaflag gross_range (the synthetic signal lives in ~[7, 16]).
RANGE = (8.0, 15.0)
#: Flat-line rule: this many equal consecutive values.
FLAT_COUNT = 10


@dataclass
class Case:
    call: Callable[[], Any]
    input_bytes: int
    summary: Callable[[Any], dict] = lambda out: {}
    warm: Callable[[], Any] | None = None
    info: dict = field(default_factory=dict)


# ----------------------------------------------------------------------------- data

def make_values(n: int, seed: int = 0) -> np.ndarray:
    """A seeded water-quality-like series: seasonal + daily cycle, right-skewed noise,
    spikes (0.1 %), flat runs (stuck sensor) and 1 % missing values."""
    rng = np.random.default_rng(seed)
    t = np.arange(n, dtype=np.float64)
    per_day = 288  # 5-minute sampling
    x = 11.0 + 2.5 * np.sin(2 * np.pi * t / (per_day * 365.25)) + 0.4 * np.sin(2 * np.pi * t / per_day)
    x += rng.gamma(2.0, 0.3, n)
    k = max(1, n // 1000)
    idx = rng.integers(0, n, k)
    x[idx] += rng.choice([-1.0, 1.0], k) * rng.uniform(3.0, 8.0, k)
    for start in rng.integers(0, max(1, n - 40), max(1, n // 5000)):
        x[start:start + 30] = x[start]
    x[rng.integers(0, n, max(1, n // 100))] = np.nan
    return x


def make_series(n: int, seed: int = 0, name: str = "x"):
    import pandas as pd

    idx = pd.date_range("2016-01-01", periods=n, freq="5min", name="time")
    return pd.Series(make_values(n, seed), index=idx, name=name)


def make_frame(rows: int, cols: int):
    import pandas as pd

    idx = pd.date_range("2016-01-01", periods=rows, freq="5min", name="time")
    data = np.empty((rows, cols))
    for j in range(cols):
        data[:, j] = make_values(rows, seed=1000 + j)
    return pd.DataFrame(data, index=idx, columns=[f"c{j:03d}" for j in range(cols)])


# ----------------------------------------------------------------------------- summaries

def mask_summary(mask) -> dict:
    m = np.asarray(mask, dtype=bool)
    pos = np.flatnonzero(m).astype(np.int64)
    return {"flagged": int(pos.size), "hash": hashlib.sha1(pos.tobytes()).hexdigest()[:10]}


def masks_summary(masks) -> dict:
    h = hashlib.sha1()
    total = 0
    for m in masks:
        pos = np.flatnonzero(np.asarray(m, dtype=bool)).astype(np.int64)
        total += pos.size
        h.update(pos.tobytes())
        h.update(b"|")
    return {"flagged": int(total), "hash": h.hexdigest()[:10]}


def value_summary(v) -> dict:
    return {"value": float(v)}


# ----------------------------------------------------------------------------- aquaflag

def _af_detect(n, method, params=None, warm=True, series=None):
    import aquaflag

    s = make_series(n) if series is None else series
    params = dict(params or {})

    def call():
        return aquaflag.detect(s, method=method, **params)

    def summary(res):
        return mask_summary(res.detections[("x", method)].mask)

    w = (lambda: aquaflag.detect(s.iloc[: min(n, WARM_POINTS)], method=method, **params)) if warm else None
    return Case(call, s.to_numpy().nbytes, summary, w, {"params": params})


def af_detect(n, method="zscore"):
    """``aquaflag.detect(series, method=m)``: whole-series rule (the seed's)."""
    return _af_detect(n, method)


def af_detect_w(n, method="zscore"):
    """``aquaflag.detect(series, method=m, window=96)``: rolling reference set."""
    return _af_detect(n, method, {"window": WINDOW})


def af_detect_other(n, method="gross_range"):
    """Any other registered method: the benchmark's settings where it has a mapping
    (gross_range, flat_line, hampel: found by introspecting the declared
    parameters), else the method's defaults."""
    import aquaflag

    params = sensor_params(method) if method in SENSOR_CANDIDATES else {}
    if params is None:
        spec = aquaflag.method(method)
        raise RuntimeError(f"{method} is registered but its parameters ({', '.join(spec.params)}) "
                           "could not be mapped to the benchmark's settings")
    return _af_detect(n, method, params)


def af_hampel_equiv(n):
    """The Hampel identifier with aquaflag: modified_zscore over a centred 96-point
    window, threshold 3 (|0.6745 (x - med)/MAD| > 3  <=>  |x - med| > 3 * 1.4826 * MAD)."""
    return _af_detect(n, "modified_zscore", {"window": WINDOW, "threshold": 3.0})


def af_medcouple(n):
    from aquaflag.stats import medcouple

    x = make_values(n)
    return Case(lambda: medcouple(x), x.nbytes, value_summary,
                lambda: medcouple(x[: min(n, WARM_POINTS)]))


def af_rolling_robust(n):
    from aquaflag.rolling import rolling_robust, window_bounds

    x = make_values(n)

    def call():
        return rolling_robust(x, *window_bounds(n, WINDOW))

    def warm():
        m = min(n, WARM_POINTS)
        return rolling_robust(x[:m], *window_bounds(m, WINDOW))

    return Case(call, x.nbytes, lambda st: {"median_nan": int(np.isnan(st["median"]).sum())}, warm)


def af_frame_all(n, cols=100, methods="all", per_column=False):
    """``aquaflag.detect(frame, method="all")`` (or a list of methods) on a wide frame;
    ``per_column``: one ``detect`` call per column instead (single-threaded, whatever the
    engine does with a whole frame)."""
    import aquaflag

    df = make_frame(n, cols)
    names = ("zscore", "modified_zscore", "iqr", "adjusted_boxplot") if methods == "all" \
        else tuple(methods.split(","))
    method = "all" if methods == "all" else list(names)

    def call():
        if per_column:
            return [aquaflag.detect(df[[c]], method=method) for c in df.columns]
        return aquaflag.detect(df, method=method)

    def summary(res):
        if per_column:
            return masks_summary(r.detections[(c, m)].mask for r, c in zip(res, df.columns)
                                 for m in names)
        return masks_summary(res.detections[(c, m)].mask for c in df.columns for m in names)

    return Case(call, df.to_numpy().nbytes, summary,
                lambda: aquaflag.detect(df.iloc[:WARM_POINTS, :2], method=method))


# ----------------------------------------------------------------------------- the seed notebook

def seed_zscore(s):
    z = (s - s.mean()) / s.std()
    return z.abs() > Z_T


def seed_modified_zscore(s):
    med = s.median()
    mad = (s - med).abs().median()
    m = 0.6745 * (s - med) / mad
    return m.abs() > MZ_T


def seed_iqr(s):
    q1, q3 = s.quantile(0.25), s.quantile(0.75)
    iqr = q3 - q1
    return (s < q1 - IQR_K * iqr) | (s > q3 + IQR_K * iqr)


def seed_adjusted_boxplot(s, mc_fn):
    q1, q3 = s.quantile(0.25), s.quantile(0.75)
    iqr = q3 - q1
    mc = float(mc_fn(s.dropna().to_numpy()))
    if mc >= 0:
        lo, hi = q1 - IQR_K * np.exp(-4 * mc) * iqr, q3 + IQR_K * np.exp(3 * mc) * iqr
    else:
        lo, hi = q1 - IQR_K * np.exp(-3 * mc) * iqr, q3 + IQR_K * np.exp(4 * mc) * iqr
    return (s < lo) | (s > hi)


def _mc(kind):
    if kind == "aquaflag":
        from aquaflag.stats import medcouple

        return medcouple
    from statsmodels.stats.stattools import medcouple as sm

    fast = kind == "sm_fast"
    return lambda x: sm(x, use_fast=fast)


SEED_RULES = {
    "zscore": seed_zscore,
    "modified_zscore": seed_modified_zscore,
    "iqr": seed_iqr,
}


def seed_rule(n, method="zscore", mc="sm_exact"):
    """The seed's pandas expressions for one rule on one series."""
    s = make_series(n)
    if method == "adjusted_boxplot":
        fn = _mc(mc)
        rule = lambda ser: seed_adjusted_boxplot(ser, fn)  # noqa: E731
    else:
        rule = SEED_RULES[method]
    return Case(lambda: rule(s), s.to_numpy().nbytes, lambda m: mask_summary(m.to_numpy()),
                lambda: rule(s.iloc[: min(n, 1000)]))


def seed_frame(n, cols=100, rules="zscore,modified_zscore,iqr", mc="sm_fast"):
    """The seed's loop: per column, the pandas expressions of the given rules."""
    df = make_frame(n, cols)
    names = rules.split(",")
    fn = _mc(mc) if "adjusted_boxplot" in names else None
    funcs = [(lambda s, f=fn: seed_adjusted_boxplot(s, f)) if m == "adjusted_boxplot" else SEED_RULES[m]
             for m in names]

    def call():
        return [f(df[c]) for c in df.columns for f in funcs]

    return Case(call, df.to_numpy().nbytes, lambda ms: masks_summary(m.to_numpy() for m in ms),
                lambda: [f(df[df.columns[0]].iloc[:WARM_POINTS if mc == "aquaflag" else 1000])
                         for f in funcs],
                {"columns": cols, "rules": names, "medcouple": mc if fn else None})


# ----------------------------------------------------------------------------- statsmodels medcouple

def sm_medcouple(n, fast=False):
    import warnings

    from statsmodels.stats.stattools import medcouple

    warnings.simplefilter("ignore")
    x = make_values(n)
    x = x[~np.isnan(x)]  # statsmodels returns NaN on NaN input
    return Case(lambda: float(medcouple(x, use_fast=bool(fast))), x.nbytes, value_summary,
                lambda: medcouple(x[:200], use_fast=bool(fast)))


# ----------------------------------------------------------------------------- SaQC

def saqc_func(n, func="flagZScore", **kw):
    """``SaQC(frame).<func>("x", ...)`` end to end, then the boolean mask of the flags."""
    import warnings

    import saqc

    warnings.simplefilter("ignore")
    s = make_series(n)
    df = s.to_frame()

    def call():
        qc = getattr(saqc.SaQC(df), func)("x", **kw)
        return qc.flags["x"].to_numpy() > 0  # flags: -inf unflagged, 255 BAD

    warm_df = df.iloc[: min(n, 1000)]
    return Case(call, s.to_numpy().nbytes, mask_summary,
                lambda: getattr(saqc.SaQC(warm_df), func)("x", **kw).flags["x"], {"kwargs": kw})


# ----------------------------------------------------------------------------- hampel package, pandas, bottleneck

def hampel_pkg(n):
    """The ``hampel`` package (Cython): window_size=96 -> a centred 97-point window."""
    from hampel import hampel

    x = make_values(n)

    def call():
        return hampel(x, window_size=WINDOW, n_sigma=3.0)

    def summary(r):
        m = np.zeros(n, dtype=bool)
        m[np.asarray(r.outlier_indices, dtype=np.int64)] = True
        return mask_summary(m)

    return Case(call, x.nbytes, summary, lambda: hampel(x[:1000], window_size=WINDOW, n_sigma=3.0))


def _nan_mad(a):
    a = a[~np.isnan(a)]
    m = np.median(a)
    return np.median(np.abs(a - m))


def pandas_rolling(n, mad=False):
    """``s.rolling(96, center=True, min_periods=1).median()`` (+ ``.apply(mad, raw=True)``)."""
    s = make_series(n)

    def call():
        r = s.rolling(WINDOW, center=True, min_periods=1)
        med = r.median()
        if mad:
            return med, r.apply(_nan_mad, raw=True)
        return med

    def warm():
        r = s.iloc[:500].rolling(WINDOW, center=True, min_periods=1)
        return r.median(), (r.apply(_nan_mad, raw=True) if mad else None)

    return Case(call, s.to_numpy().nbytes, lambda out: {}, warm)


def bottleneck_move_median(n):
    import bottleneck as bn

    x = make_values(n)
    return Case(lambda: bn.move_median(x, WINDOW, min_count=1), x.nbytes, lambda out: {},
                lambda: bn.move_median(x[:1000], WINDOW, min_count=1))


# ----------------------------------------------------------------------------- sensor methods

#: Candidate parameter sets for the sensor methods another engineer is adding;
#: the first set the method's declared constraints accept is used.
SENSOR_CANDIDATES = {
    "gross_range": [
        {"min": RANGE[0], "max": RANGE[1]},
        {"lower": RANGE[0], "upper": RANGE[1]},
        {"fail_min": RANGE[0], "fail_max": RANGE[1]},
        {"low": RANGE[0], "high": RANGE[1]},
        {"vmin": RANGE[0], "vmax": RANGE[1]},
        {"minimum": RANGE[0], "maximum": RANGE[1]},
        {"fail_span": RANGE},
        {"fail_span": list(RANGE)},
        {"span": RANGE},
        {"span": list(RANGE)},
    ],
    "flat_line": [
        {"window": FLAT_COUNT, "tolerance": 0.0},
        {"count": FLAT_COUNT, "tolerance": 0.0},
        {"min_count": FLAT_COUNT, "tolerance": 0.0},
        {"fail_count": FLAT_COUNT, "tolerance": 0.0},
        {"window": FLAT_COUNT},
        {"count": FLAT_COUNT},
        {"min_count": FLAT_COUNT},
        {"fail_count": FLAT_COUNT},
    ],
    "hampel": [
        {"window": WINDOW, "threshold": 3.0},
        {"window": WINDOW, "n_sigma": 3.0},
        {"window": WINDOW},
    ],
}


def sensor_params(method: str) -> dict | None:
    """The benchmark's settings expressed in ``method``'s own parameters, or None."""
    import aquaflag

    spec = aquaflag.method(method)
    for cand in SENSOR_CANDIDATES.get(method, []):
        if not set(cand) <= set(spec.params):
            continue
        try:
            spec.validate(dict(cand))
        except Exception:  # noqa: BLE001 - a rejected candidate: try the next
            continue
        return dict(cand)
    return None


BUILDERS: dict[str, Callable[..., Case]] = {
    "af_detect": af_detect,
    "af_detect_w": af_detect_w,
    "af_detect_other": af_detect_other,
    "af_hampel_equiv": af_hampel_equiv,
    "af_medcouple": af_medcouple,
    "af_rolling_robust": af_rolling_robust,
    "af_frame_all": af_frame_all,
    "seed_rule": seed_rule,
    "seed_frame": seed_frame,
    "sm_medcouple": sm_medcouple,
    "saqc": saqc_func,
    "hampel_pkg": hampel_pkg,
    "pandas_rolling": pandas_rolling,
    "bottleneck": bottleneck_move_median,
}


def build(kind: str, n: int, **opts) -> Case:
    return BUILDERS[kind](n, **opts)
