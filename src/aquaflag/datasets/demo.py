"""Built-in demo data: seeded synthetic water-quality series with known anomalies.

Two generators are provided, each with a *truth table* of the cells it corrupted:

* :func:`demo` / :func:`demo_truth` -- weekly grab-sample monitoring at the three
  Daecheong reservoir stations (Mun-Ui, Chu-Dong, Hoe-Nam) x water temperature, pH,
  dissolved oxygen (DO) and Secchi transparency, every Monday from 2016-04-04 to
  2023-12-25, laid out like the project's origin data set (wide frame, columns
  ``"Parameter(Station)"``).
* :func:`sensor_demo` / :func:`sensor_demo_truth` -- one in-situ river sonde logging
  ``temp``, ``cond``, ``ph``, ``do`` and ``turb`` every 15 minutes for a year.

Nothing here is real data: every value is generated from ``numpy.random.default_rng(seed)``
(no global random state), so the same seed always gives the same frame and the same
truth table. Both the frame and its truth table come from one private builder, so they
cannot disagree.

Generative model (weekly data)
------------------------------
Every series is *seasonal mean + regional anomaly + station anomaly*, where the anomalies
are stationary AR(1) processes (autocorrelated from week to week) and the regional part is
shared by the three stations, which makes the stations correlated.

* Water temperature: an annual cycle (at Mun-Ui about 5 degC in February to 27 degC in
  August on average, single weeks from about 3 to 30 degC; the deep Hoe-Nam station is
  cooler, damped and lags by a few weeks), with larger anomalies in spring and early summer.
* A latent algal-bloom intensity (summer bump x a lognormal strength per year x a regional
  AR(1) multiplier, scaled per station) drives pH up (about 7.6 in winter to 8.3-8.7 in
  summer, occasionally above 10) and transparency down.
* DO is oxygen saturation at the simulated temperature (Benson-Krause polynomial), so it is
  anti-correlated with temperature, reduced by late-summer stratification and raised by
  bloom photosynthesis.
* Transparency is log-normal: about 4 m in winter, about 1.5-2 m in August-September
  (blooms plus monsoon runoff).
* Values are rounded to 0.1 like field sheets. Each station misses a few sampling visits
  (1-3 weeks with all four parameters missing) and each column has one extra missed week.

Anomalies are then injected at known cells (kinds ``spike``, ``winter_warm_spike``,
``decimal_shift``, ``negative``, ``stuck``, ``unit_error``); see :func:`demo_truth`.

The sensor data follow the same idea at 15-minute resolution: seasonal and diurnal cycles,
day-to-day weather (a daily AR(1) interpolated in time), short-term autocorrelated noise,
snowmelt and a handful of real storm events (turbidity up, conductivity and pH down --
genuine extremes, *not* faults), a few logger gaps (NaN), and injected sensor faults; see
:func:`sensor_demo_truth`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

__all__ = ["demo", "demo_truth", "sensor_demo", "sensor_demo_truth"]

# ---------------------------------------------------------------------------------------
# Shared helpers
# ---------------------------------------------------------------------------------------

_TRUTH_COLUMNS = ["column", "time", "kind", "original", "injected"]
_YEAR = 365.25


def _ar1(rng: np.random.Generator, n: int, phi: float, sd: float) -> np.ndarray:
    """A stationary AR(1) series of length `n`, lag-one correlation `phi`, std `sd`.

    Computed as a (truncated, FFT) convolution of white noise with ``phi**k``, so long
    series cost O(n log n) with no Python loop.
    """
    if phi <= 0.0:
        return rng.standard_normal(n) * sd
    k = max(1, int(np.ceil(np.log(1e-6) / np.log(phi))))
    e = rng.standard_normal(n + k)
    kern = phi ** np.arange(k)
    m = n + 2 * k
    nfft = 1 << int(np.ceil(np.log2(m)))
    y = np.fft.irfft(np.fft.rfft(e, nfft) * np.fft.rfft(kern, nfft), nfft)[k : k + n]
    return y * (sd / np.sqrt(np.sum(kern**2)))


def _bump(doy: np.ndarray, peak: float, width: float) -> np.ndarray:
    """A Gaussian bump over the (circular) day of year, 1 at `peak`."""
    d = (doy - peak + _YEAR / 2) % _YEAR - _YEAR / 2
    return np.exp(-0.5 * (d / width) ** 2)


def _do_saturation(temp: np.ndarray) -> np.ndarray:
    """Oxygen solubility in fresh water at sea level (mg/L), Benson-Krause polynomial."""
    t = np.asarray(temp, dtype=float)
    return 14.652 - 0.41022 * t + 0.007991 * t**2 - 0.000077774 * t**3


@dataclass
class _Built:
    frame: pd.DataFrame
    truth: pd.DataFrame


def _truth_frame(rows: list[tuple], columns: list[str], index: pd.DatetimeIndex) -> pd.DataFrame:
    """Truth table from ``(col_pos, row_pos, kind, original, injected)`` tuples."""
    rows = sorted(rows, key=lambda r: (r[0], r[1]))
    truth = pd.DataFrame(
        {
            "column": [columns[r[0]] for r in rows],
            "time": pd.DatetimeIndex([index[r[1]] for r in rows], dtype=index.dtype),
            "kind": [r[2] for r in rows],
            "original": np.array([r[3] for r in rows], dtype=np.float64),
            "injected": np.array([r[4] for r in rows], dtype=np.float64),
        },
        columns=_TRUTH_COLUMNS,
    )
    return truth


# ---------------------------------------------------------------------------------------
# Weekly Daecheong-like demo
# ---------------------------------------------------------------------------------------

_PARAMS = [("Water Temperature", "수온"), ("pH", "pH"), ("DO", "용존산소"), ("Transparency", "투명도")]
_STATIONS = [("Mun-Ui", "문의"), ("Chu-Dong", "추동"), ("Hoe-Nam", "회남")]
_START, _END = "2016-04-04", "2023-12-25"

# Station characteristics: temperature (annual mean, amplitude, peak day, second-harmonic
# cos/sin coefficients, anomaly sd), bloom sensitivity, pH base, DO as a fraction of
# saturation (base, spring photosynthesis boost, late-summer stratification depletion, each
# with its peak day and width), transparency (winter level, seasonal log-drop).
_STATION_MODEL: dict[str, dict[str, Any]] = {
    "Mun-Ui": dict(t_mean=16.1, t_amp=11.0, t_peak=227, t_h2=(0.0, -0.2), t_sd=0.5,
                   bloom=1.0, ph0=7.55,
                   do0=0.84, boost=0.24, boost_peak=150, boost_width=40,
                   strat=0.15, strat_peak=258, strat_width=28,
                   secchi0=3.9, secchi_drop=0.8),
    "Chu-Dong": dict(t_mean=15.3, t_amp=10.4, t_peak=231, t_h2=(-0.45, -0.1), t_sd=0.5,
                     bloom=0.75, ph0=7.6,
                     do0=0.89, boost=0.14, boost_peak=125, boost_width=40,
                     strat=0.24, strat_peak=238, strat_width=30,
                     secchi0=3.8, secchi_drop=0.8),
    "Hoe-Nam": dict(t_mean=13.8, t_amp=8.6, t_peak=242, t_h2=(-1.0, -0.4), t_sd=0.7,
                    bloom=0.6, ph0=7.6,
                    do0=0.87, boost=0.12, boost_peak=85, boost_width=30,
                    strat=0.26, strat_peak=220, strat_width=60,
                    secchi0=4.3, secchi_drop=0.95),
}

# (kind, parameter index); stations are dealt round-robin per parameter, years spread.
_WEEKLY_EVENTS = [
    ("spike", 0), ("spike", 1), ("spike", 2), ("spike", 2), ("spike", 3),
    ("winter_warm_spike", 0), ("winter_warm_spike", 0),
    ("decimal_shift", 1), ("decimal_shift", 2), ("decimal_shift", 0),
    ("negative", 2), ("negative", 3),
    ("stuck", 0), ("stuck", 1),
    ("unit_error", 3), ("unit_error", 3),
]
_STUCK_COPIES = (4, 5)  # cells overwritten by the stuck value (the run is one longer)
_MARGIN = 4  # minimum distance in weeks between two anomalies in the same column


def _weekly_clean(rng: np.random.Generator, index: pd.DatetimeIndex) -> np.ndarray:
    """The clean weekly values, shape (n_dates, 12), rounded to 0.1, before gaps."""
    n = len(index)
    doy = index.day_of_year.to_numpy(dtype=float)
    years = index.year.to_numpy()
    out = np.empty((n, len(_PARAMS) * len(_STATIONS)))

    # Regional (shared) signals.
    w = 2 * np.pi * doy / _YEAR
    t_reg = _ar1(rng, n, 0.75, 0.9) * (0.75 + 0.6 * _bump(doy, 150, 55))
    uniq_years = np.unique(years)
    year_strength = dict(zip(uniq_years, rng.lognormal(0.0, 0.35, uniq_years.size)))
    bloom_reg = (
        _bump(doy, 205, 55)
        * np.array([year_strength[y] for y in years])
        * np.exp(_ar1(rng, n, 0.6, 0.4))
    )
    ph_reg = _ar1(rng, n, 0.5, 0.15)
    do_reg = _ar1(rng, n, 0.5, 0.5)
    monsoon = _bump(doy, 215, 20) * rng.lognormal(0.0, 0.4, n).clip(0.3, 3.0)
    secchi_reg = _ar1(rng, n, 0.6, 0.18)

    ns = len(_STATIONS)
    for s, (station, _) in enumerate(_STATIONS):
        p = _STATION_MODEL[station]
        temp = (
            p["t_mean"]
            + p["t_amp"] * np.cos(2 * np.pi * (doy - p["t_peak"]) / _YEAR)
            + p["t_h2"][0] * np.cos(2 * w)
            + p["t_h2"][1] * np.sin(2 * w)
            + t_reg
            + _ar1(rng, n, 0.4, p["t_sd"])
        )
        temp = np.maximum(temp, 1.0)

        bloom = p["bloom"] * bloom_reg * np.exp(_ar1(rng, n, 0.5, 0.25))
        ph = p["ph0"] + bloom + ph_reg + _ar1(rng, n, 0.3, 0.12)
        ph = np.clip(ph, 6.3, 10.9)

        fraction = (
            p["do0"]
            + p["boost"] * _bump(doy, p["boost_peak"], p["boost_width"])
            - p["strat"] * _bump(doy, p["strat_peak"], p["strat_width"])
        )
        do = (
            _do_saturation(temp) * fraction
            + 0.8 * (bloom - p["bloom"] * bloom_reg.mean())  # photosynthesis in blooms
            + do_reg
            + _ar1(rng, n, 0.3, 0.45)
        )
        do = np.maximum(do, 1.0)

        log_secchi = (
            np.log(p["secchi0"])
            - p["secchi_drop"] * _bump(doy, 250, 42)
            - 0.15 * bloom
            - 0.2 * monsoon
            + secchi_reg
            + _ar1(rng, n, 0.5, 0.18)
        )
        secchi = np.maximum(np.exp(log_secchi), 0.2)

        for k, values in enumerate((temp, ph, do, secchi)):
            out[:, k * ns + s] = values
    return np.round(out, 1)


def _weekly_gaps(rng: np.random.Generator, clean: np.ndarray) -> None:
    """Missed sampling: 2 visits of 1-3 weeks per station (all parameters), 1 week per column.

    Gaps in a column never touch each other, so none is longer than 3 weeks.
    """
    n, ncol = clean.shape
    ns = len(_STATIONS)

    def free(start: int, stop: int, cols) -> bool:
        return not np.isnan(clean[max(0, start - 1) : stop + 1, cols]).any()

    for s in range(ns):
        for _ in range(2):
            length = int(rng.integers(1, 4))
            start = int(rng.integers(1, n - length))
            while not free(start, start + length, slice(s, None, ns)):
                start = int(rng.integers(1, n - length))
            clean[start : start + length, s::ns] = np.nan
    for c in range(ncol):
        r = int(rng.integers(1, n))
        while not free(r, r + 1, c):
            r = int(rng.integers(1, n))
        clean[r, c] = np.nan


def _build_weekly(seed: int, korean: bool) -> _Built:
    rng = np.random.default_rng(seed)
    index = pd.date_range(_START, _END, freq="W-MON", name="Date")
    lang = 1 if korean else 0
    columns = [f"{param[lang]}({station[lang]})" for param in _PARAMS for station in _STATIONS]

    clean = _weekly_clean(rng, index)
    _weekly_gaps(rng, clean)
    n, ncol = clean.shape
    ns = len(_STATIONS)
    months = index.month.to_numpy()
    years = index.year.to_numpy()
    sd = np.nanstd(clean, axis=0, ddof=1)
    month_median = np.full_like(clean, np.nan)
    for m in range(1, 13):
        sel = months == m
        month_median[sel] = np.nanmedian(clean[sel], axis=0)

    values = clean.copy()
    used = np.zeros_like(clean, dtype=bool)  # cells within _MARGIN weeks of an anomaly
    rows: list[tuple] = []

    station_order = [rng.permutation(ns) for _ in _PARAMS]
    param_count = [0] * len(_PARAMS)
    uniq_years = np.unique(years)
    year_seq = np.concatenate([rng.permutation(uniq_years) for _ in range(3)])
    stuck_i = 0

    for i, (kind, k) in enumerate(_WEEKLY_EVENTS):
        s = int(station_order[k][param_count[k] % ns])
        param_count[k] += 1
        c = k * ns + s
        x = clean[:, c]
        length = 1
        if kind == "stuck":
            length = _STUCK_COPIES[stuck_i % len(_STUCK_COPIES)] + 1
            stuck_i += 1

        ok = ~np.isnan(x) & ~used[:, c]
        if kind == "winter_warm_spike":
            winter = np.isin(months, (1, 2)) | ((months == 12) & (index.day.to_numpy() >= 15))
            near_typical = np.abs(x - month_median[:, c]) <= 1.0
            ok &= winter & near_typical
        elif kind == "decimal_shift" and k == 2:  # DO / 10 on a high (winter) value
            ok &= x >= 9.0
        elif kind == "negative" and k == 3:  # sign slip on transparency
            ok &= x >= 0.5
        elif kind == "stuck":
            if k == 0:  # temperature stuck while it is rising or falling
                ok &= np.isin(months, (3, 4, 5, 9, 10, 11))
            starts = ok.copy()
            for j in range(1, length):
                shifted = np.zeros(n, dtype=bool)
                shifted[: n - j] = (
                    ~np.isnan(x[j:]) & ~used[j:, c] & (x[j:] != x[: n - j])
                )
                starts &= shifted
            ok = starts
        candidates = np.flatnonzero(ok & (years == year_seq[i]))
        if candidates.size == 0:
            candidates = np.flatnonzero(ok)
        if candidates.size == 0:  # pragma: no cover - the model always leaves room
            raise RuntimeError(f"no room to inject {kind!r} into {columns[c]!r}")
        r = int(rng.choice(candidates))
        orig: float | None  # None for a stuck run: each cell's own value is the original
        orig = float(x[r])

        if kind == "spike":
            size = rng.uniform(6.0, 8.0) * sd[c]
            sign = -1.0 if (k == 1 and rng.random() < 0.5) else 1.0
            new = [round(orig + sign * size, 1)]
        elif kind == "winter_warm_spike":
            new = [round(orig + 8.0, 1)]
        elif kind == "decimal_shift":
            new = [round(orig / 10.0, 2)] if k == 2 else [round(orig * 10.0, 1)]
        elif kind == "negative":
            new = [-round(rng.uniform(0.3, 2.0), 1)] if k == 2 else [-orig]
        elif kind == "unit_error":
            new = [round(orig * 100.0, 1)]
        else:  # stuck: the value at r is carried forward over the next length - 1 weeks
            new = [orig] * (length - 1)
            r += 1
            orig = None

        for j, v in enumerate(new):
            o = float(x[r + j]) if orig is None else orig
            values[r + j, c] = v
            rows.append((c, r + j, kind, o, float(v)))
        lo, hi = max(0, r - _MARGIN - (length > 1)), min(n, r + len(new) + _MARGIN)
        used[lo:hi, c] = True

    frame = pd.DataFrame(values, index=index, columns=columns, dtype=np.float64)
    return _Built(frame=frame, truth=_truth_frame(rows, columns, index))


def demo(seed: int = 2016, *, korean: bool = False) -> pd.DataFrame:
    """Weekly demo monitoring data of three Daecheong reservoir stations, with anomalies.

    Synthetic (generated, not measured) but realistic: seasonal cycles, correlated
    stations, autocorrelated noise, values rounded to 0.1, a few missed sampling weeks
    (NaN), and about two dozen injected errors whose positions and kinds are returned by
    :func:`demo_truth` for the same `seed`.

    Parameters
    ----------
    seed : int, default 2016
        Seed for :func:`numpy.random.default_rng`. Same seed, same frame.
    korean : bool, default False
        Use Korean column names (``"수온(문의)"``, ``"pH(추동)"``, ``"용존산소(회남)"``,
        ``"투명도(문의)"``, ...) instead of ``"Water Temperature(Mun-Ui)"``,
        ``"pH(Chu-Dong)"``, ``"DO(Hoe-Nam)"``, ``"Transparency(Mun-Ui)"``, ...

    Returns
    -------
    pandas.DataFrame
        404 weekly rows (Mondays, 2016-04-04 to 2023-12-25; DatetimeIndex named
        ``"Date"``) x 12 float64 columns, parameter-major: water temperature (degC) at
        Mun-Ui, Chu-Dong, Hoe-Nam, then pH, DO (mg/L) and transparency (m).

    See Also
    --------
    demo_truth : the injected anomalies, one row per corrupted cell.
    sensor_demo : 15-minute sensor data with injected sensor faults.

    Notes
    -----
    The clean series are recovered exactly by writing ``demo_truth(seed)["original"]``
    back into the corrupted cells.

    Examples
    --------
    >>> from aquaflag.datasets import demo
    >>> df = demo()
    >>> df.shape
    (404, 12)
    >>> list(df.columns[:3])
    ['Water Temperature(Mun-Ui)', 'Water Temperature(Chu-Dong)', 'Water Temperature(Hoe-Nam)']
    >>> df.index.name, str(df.index[0].date()), str(df.index[-1].date())
    ('Date', '2016-04-04', '2023-12-25')
    >>> list(demo(korean=True).columns[::3])
    ['수온(문의)', 'pH(문의)', '용존산소(문의)', '투명도(문의)']
    """
    return _build_weekly(seed, korean).frame


def demo_truth(seed: int = 2016, *, korean: bool = False) -> pd.DataFrame:
    """The anomalies injected into :func:`demo` for the same `seed`.

    Parameters
    ----------
    seed : int, default 2016
        Seed, as for :func:`demo`.
    korean : bool, default False
        Name the columns in Korean, as for :func:`demo`.

    Returns
    -------
    pandas.DataFrame
        One row per corrupted cell, sorted by column (frame order) then time, with columns

        ``column``
            the column of :func:`demo` that holds the cell;
        ``time``
            the cell's date;
        ``kind``
            ``"spike"`` (a single-week excursion of 6-8 standard deviations of the
            column), ``"winter_warm_spike"`` (water temperature +8 degC in December-February:
            inside the column's global range, obvious only against the season),
            ``"decimal_shift"`` (a misplaced decimal point: pH or temperature x 10, DO / 10),
            ``"negative"`` (a physically impossible negative DO or transparency),
            ``"stuck"`` (a value carried forward over 4-5 following weeks; the first,
            correct value of the run is not listed) or ``"unit_error"`` (transparency
            entered in cm instead of m);
        ``original``
            the clean value;
        ``injected``
            the value in :func:`demo` (always different from ``original``).

        Corrupted cells are never NaN and never closer than four weeks to another
        anomaly in the same column.

    Examples
    --------
    >>> from aquaflag.datasets import demo, demo_truth
    >>> truth = demo_truth()
    >>> list(truth.columns)
    ['column', 'time', 'kind', 'original', 'injected']
    >>> sorted(truth["kind"].unique())
    ['decimal_shift', 'negative', 'spike', 'stuck', 'unit_error', 'winter_warm_spike']
    >>> df = demo()
    >>> all(df.at[t, c] == v for c, t, v in zip(truth["column"], truth["time"], truth["injected"]))
    True
    """
    return _build_weekly(seed, korean).truth


# ---------------------------------------------------------------------------------------
# 15-minute sensor demo
# ---------------------------------------------------------------------------------------

_SENSOR_COLUMNS = ["temp", "cond", "ph", "do", "turb"]
_SENSOR_DECIMALS = {"temp": 2, "cond": 1, "ph": 2, "do": 2, "turb": 2}
_SENSOR_START = "2019-01-01"

# (kind, column); "gap" entries are logger outages (NaN, not faults).
_SENSOR_EVENTS = [
    ("spike", "temp"), ("spike", "cond"), ("spike", "ph"), ("spike", "do"), ("spike", "turb"),
    ("flatline", "do"), ("flatline", "ph"),
    ("drift", "cond"), ("drift", "do"),
    ("out_of_range", "ph"), ("out_of_range", "temp"), ("out_of_range", "do"),
    ("nodata_code", "turb"), ("nodata_code", "cond"), ("nodata_code", "temp"),
    ("jump", "cond"), ("jump", "ph"),
    ("gap", None), ("gap", None), ("gap", None),
]
_MIN_SEGMENT = 8  # samples per event slot


def _sensor_index(days: int, freq) -> pd.DatetimeIndex:
    if isinstance(days, bool) or not isinstance(days, (int, np.integer)) or days < 1:
        raise ValueError(f"days of sensor_demo must be an integer >= 1; got {days!r}")
    try:
        step = pd.Timedelta(pd.tseries.frequencies.to_offset(freq))
    except (ValueError, TypeError) as exc:
        raise ValueError(
            f"freq of sensor_demo must be a fixed frequency such as '15min' or '1h'; got {freq!r}"
        ) from exc
    if step <= pd.Timedelta(0):
        raise ValueError(f"freq of sensor_demo must be positive; got {freq!r}")
    n = int(pd.Timedelta(days=int(days)) // step)
    need = _MIN_SEGMENT * len(_SENSOR_EVENTS)
    if n < need:
        raise ValueError(
            f"sensor_demo needs at least {need} samples to place its faults; "
            f"days={days} at freq={freq!r} gives {n}"
        )
    return pd.date_range(_SENSOR_START, periods=n, freq=step, name="datetime")


def _sensor_clean(rng: np.random.Generator, index: pd.DatetimeIndex) -> dict[str, np.ndarray]:
    n = len(index)
    step_h = (index[1] - index[0]) / pd.Timedelta(hours=1)
    tday = np.arange(n) * step_h / 24.0  # days since start
    hour = (index.hour + index.minute / 60.0 + index.second / 3600.0).to_numpy(dtype=float)
    doy = index.day_of_year.to_numpy(dtype=float) + hour / 24.0
    summer = 0.5 * (1.0 + np.cos(2 * np.pi * (doy - 200) / _YEAR))  # 0 in Jan, 1 in Jul
    phi = float(np.exp(-step_h / 2.0))  # short-term noise: ~2 h correlation time
    n_days = int(np.ceil(tday[-1])) + 2

    def daily(phi_d: float, sd: float) -> np.ndarray:
        return np.interp(tday, np.arange(n_days), _ar1(rng, n_days, phi_d, sd))

    # Storms: fast rise, exponential recession; mostly spring to autumn.
    storm = np.zeros(n)
    for _ in range(max(1, int(round(10 * tday[-1] / 365.0)))):
        t0 = rng.uniform(0.0, tday[-1])
        tau = rng.uniform(0.25, 1.0)
        size = rng.lognormal(0.0, 0.6)
        dt = tday - t0
        on = dt > 0
        storm[on] += size * np.exp(-dt[on] / tau) * (1.0 - np.exp(-dt[on] / 0.05))
    snowmelt = _bump(doy, 140, 28)

    temp = (
        8.0
        - 6.0 * np.cos(2 * np.pi * (doy - 35) / _YEAR)
        + (0.4 + 1.0 * summer) * np.cos(2 * np.pi * (hour - 16.0) / 24.0)
        - 1.0 * snowmelt
        + daily(0.8, 0.9)
        + _ar1(rng, n, phi, 0.04)
    )
    temp = np.maximum(temp, 0.0)

    cond = (
        405.0
        - 95.0 * snowmelt
        + 3.0 * np.cos(2 * np.pi * (hour - 14.0) / 24.0)
        - 40.0 * np.tanh(storm)
        + daily(0.9, 15.0)
        + _ar1(rng, n, phi, 1.2)
    )

    ph = (
        8.6
        + (0.07 + 0.12 * summer) * np.cos(2 * np.pi * (hour - 14.0) / 24.0)
        - 0.15 * np.tanh(storm)
        + daily(0.85, 0.05)
        + _ar1(rng, n, phi, 0.006)
    )

    do = (
        _do_saturation(temp) * 0.88
        + (0.3 + 0.5 * summer) * np.cos(2 * np.pi * (hour - 12.5) / 24.0)
        + daily(0.8, 0.2)
        + _ar1(rng, n, phi, 0.02)
    )

    turb = (2.8 + 6.0 * snowmelt) * np.exp(_ar1(rng, n, float(np.exp(-step_h / 6.0)), 0.15))
    turb = turb + 60.0 * storm
    turb = np.maximum(turb, 0.5)

    raw = {"temp": temp, "cond": cond, "ph": ph, "do": do, "turb": turb}
    return {k: np.round(v, _SENSOR_DECIMALS[k]) for k, v in raw.items()}


def _build_sensor(seed: int, days: int, freq) -> _Built:
    index = _sensor_index(days, freq)
    rng = np.random.default_rng(seed)
    clean = _sensor_clean(rng, index)
    n = len(index)
    step_h = (index[1] - index[0]) / pd.Timedelta(hours=1)
    values = {k: v.copy() for k, v in clean.items()}
    rows: list[tuple] = []

    # One slot per event, in random order, so that events never overlap.
    n_ev = len(_SENSOR_EVENTS)
    bounds = np.linspace(0, n, n_ev + 1).astype(int)
    slots = rng.permutation(n_ev)

    def steps(hours: float) -> int:
        return max(1, int(round(hours / step_h)))

    for (kind, col), slot in zip(_SENSOR_EVENTS, slots):
        lo, hi = int(bounds[slot]), int(bounds[slot + 1])
        room = max(1, (hi - lo) // 2)  # leave at least half the slot clean
        if kind == "gap":
            length = min(room, steps(rng.uniform(1.0, 12.0)))
        elif kind == "spike":
            length = 1
        elif kind == "flatline":
            length = min(room, steps(rng.uniform(4.0, 12.0)))
        elif kind == "drift":
            length = min(room, steps(24.0 * rng.uniform(3.0, 10.0)))
        elif kind == "jump":
            length = min(room, steps(24.0 * rng.uniform(1.0, 4.0)))
        else:  # out_of_range, nodata_code: a few samples
            length = min(room, int(rng.integers(1, 5)))
        start = int(rng.integers(lo + 1, hi - length))
        cells = np.arange(start, start + length)

        if kind == "gap":
            for k in values:
                values[k][cells] = np.nan
            continue

        assert col is not None  # every event but a gap is in one column
        c = _SENSOR_COLUMNS.index(col)
        x = clean[col][cells]
        dec = _SENSOR_DECIMALS[col]
        if kind == "spike":
            size = {"temp": (5, 10), "cond": (150, 400), "ph": (1.0, 2.0), "do": (3, 6),
                    "turb": (150, 400)}[col]
            mag = rng.uniform(*size)
            sign = 1.0 if (col == "turb" or x[0] - mag < 0.5 or rng.random() < 0.5) else -1.0
            new = x + sign * mag
        elif kind == "flatline":
            new = np.full(length, clean[col][start - 1])
        elif kind == "drift":
            total = {"cond": rng.choice([-1.0, 1.0]) * rng.uniform(40, 80),
                     "do": -rng.uniform(1.0, 2.5)}[col]
            new = x + total * np.arange(1, length + 1) / length
        elif kind == "jump":
            offset = {"cond": rng.uniform(40, 100), "ph": rng.uniform(0.3, 0.6)}[col]
            new = x + rng.choice([-1.0, 1.0]) * offset
        elif kind == "out_of_range":
            new = {"ph": lambda: rng.uniform(14.2, 15.5, length),
                   "temp": lambda: -rng.uniform(5.0, 10.0, length),
                   "do": lambda: -rng.uniform(0.5, 2.0, length)}[col]()
        else:  # nodata_code
            new = np.full(length, -9999.0)
        new = np.round(new, dec)
        values[col][cells] = new
        for r, o, v in zip(cells, x, new):
            if o != v:
                rows.append((c, int(r), kind, float(o), float(v)))

    frame = pd.DataFrame(values, index=index, columns=_SENSOR_COLUMNS, dtype=np.float64)
    return _Built(frame=frame, truth=_truth_frame(rows, _SENSOR_COLUMNS, index))


def sensor_demo(seed: int = 2019, *, days: int = 365, freq: str = "15min") -> pd.DataFrame:
    """A year of synthetic 15-minute river sonde data with injected sensor faults.

    Parameters
    ----------
    seed : int, default 2019
        Seed for :func:`numpy.random.default_rng`.
    days : int, default 365
        Length of the record in days, starting 2019-01-01 00:00.
    freq : str, default "15min"
        Sampling interval; any fixed pandas frequency (``"5min"``, ``"1h"``, ...).

    Returns
    -------
    pandas.DataFrame
        Columns ``temp`` (degC), ``cond`` (specific conductance, µS/cm), ``ph``, ``do``
        (mg/L) and ``turb`` (NTU), all float64, on a DatetimeIndex named ``"datetime"``.
        Includes seasonal and diurnal cycles, snowmelt, genuine storm events (turbidity
        peaks with conductivity and pH dips, which are *not* faults), a few logger gaps
        (NaN in every column) and the faults listed by :func:`sensor_demo_truth`.

    Raises
    ------
    ValueError
        If `days` is not a positive integer, `freq` is not a fixed frequency, or the
        record is too short to hold all faults.

    Examples
    --------
    >>> from aquaflag.datasets import sensor_demo
    >>> df = sensor_demo(days=30)
    >>> df.shape
    (2880, 5)
    >>> list(df.columns), df.index.name
    (['temp', 'cond', 'ph', 'do', 'turb'], 'datetime')
    """
    return _build_sensor(seed, days, freq).frame


def sensor_demo_truth(seed: int = 2019, *, days: int = 365, freq: str = "15min") -> pd.DataFrame:
    """The faults injected into :func:`sensor_demo` for the same arguments.

    Parameters
    ----------
    seed, days, freq
        As for :func:`sensor_demo`.

    Returns
    -------
    pandas.DataFrame
        One row per corrupted cell, same layout as :func:`demo_truth` (``column``,
        ``time``, ``kind``, ``original``, ``injected``). Kinds: ``"spike"`` (one sample),
        ``"flatline"`` (the sensor repeats its last value for 4-12 h), ``"drift"`` (an
        offset growing linearly over 3-10 days, then reset by a calibration),
        ``"out_of_range"`` (pH above 14, negative DO, water temperature below -5 degC),
        ``"nodata_code"`` (the logger's -9999) and ``"jump"`` (a level shift lasting 1-4
        days). Cells of a fault whose value happens to equal the clean value (e.g. the
        first samples of a drift, after rounding) are not listed.

    Examples
    --------
    >>> from aquaflag.datasets import sensor_demo_truth
    >>> truth = sensor_demo_truth(days=30)
    >>> sorted(truth["kind"].unique())
    ['drift', 'flatline', 'jump', 'nodata_code', 'out_of_range', 'spike']
    """
    return _build_sensor(seed, days, freq).truth
