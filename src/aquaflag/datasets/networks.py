"""Seeded synthetic records of other networks, without faults: for false-alarm checks.

Two sampling regimes that the 15-minute river records the sensor default was first built
on do not cover, both generated from ``numpy.random.default_rng(seed)``:

* :func:`drinking_water_1min` -- a drinking-water distribution network logging every
  minute: water temperature to 0.1 °C, conductivity to whole µS/cm, pH to 0.01, free
  chlorine to 0.01 mg/L and turbidity to 0.01 NTU. Water in pipes changes slowly (a
  seasonal drift, a damped diel cycle, demand-driven changes of source water), so a
  quantised value legitimately repeats for hours -- the situation in which fixed
  flat-line windows raise thousands of false alarms.
* :func:`river_sonde_irregular` -- a river sonde logging about every 90 minutes
  (steps drawn between 60 and 120 min, a few gaps of half a day): temperature, specific
  conductance, pH, DO and turbidity with diel cycles and storms whose fronts (turbidity up
  by tens of NTU, conductance down by a third within one or two steps) are real, not faults.

Neither contains a fault: every flag a QC configuration raises on them is a false alarm.

Examples
--------
>>> dw = drinking_water_1min(days=2)
>>> dw.shape, str(dw.index.freq)
((2880, 5), '<Minute>')
>>> sonde = river_sonde_irregular(days=10)
>>> sorted(sonde.columns)
['cond', 'do', 'ph', 'temp', 'turb']
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["drinking_water_1min", "river_sonde_irregular"]


def _smooth_walk(rng, n, sd, corr):
    """A smooth random walk: AR(1) increments with lag-one correlation ``corr``."""
    e = rng.normal(0, sd, n)
    out = np.empty(n)
    acc = 0.0
    for i in range(n):  # n is at most a few 10^5; called on coarse grids only
        acc = corr * acc + e[i]
        out[i] = acc
    return np.cumsum(out)


def _coarse(rng, n_fine, every, sd, corr):
    """A smooth walk on a coarse grid (one value per ``every`` fine steps), interpolated."""
    m = n_fine // every + 2
    walk = _smooth_walk(rng, m, sd, corr)
    return np.interp(np.arange(n_fine) / every, np.arange(m), walk)


def drinking_water_1min(days: int = 30, seed: int = 7, start: str = "2022-03-01") -> pd.DataFrame:
    """One distribution-network station logging every minute, no faults (see the module notes).

    Parameters
    ----------
    days : int, default 30
        Length of the record.
    seed : int, default 7
        Seed of ``numpy.random.default_rng``.
    start : str, default "2022-03-01"
        The first timestamp.

    Returns
    -------
    DataFrame
        Columns ``temp`` (°C, 0.1), ``cond`` (µS/cm, 1), ``ph`` (0.01), ``chlorine``
        (mg/L, 0.01), ``turb`` (NTU, 0.01); a 1-minute DatetimeIndex named ``datetime``.
    """
    rng = np.random.default_rng(seed)
    n = days * 1440
    h = np.arange(n) / 60.0
    idx = pd.date_range(start, periods=n, freq="1min", name="datetime")
    diel = np.sin(2 * np.pi * (h - 9) / 24)
    temp = 9.0 + 0.01 * h / 24 + 0.12 * diel + _coarse(rng, n, 120, 0.004, 0.9)
    temp += rng.normal(0, 0.008, n)
    source = _coarse(rng, n, 480, 0.8, 0.8)  # source-water blend changes over many hours
    cond = 455 + source + 0.8 * diel + rng.normal(0, 0.1, n)
    ph = 7.8 + 0.002 * source + 0.02 * diel + _coarse(rng, n, 120, 0.002, 0.9) + rng.normal(0, 0.003, n)
    chlorine = 0.45 - 0.08 * np.sin(2 * np.pi * (h - 14) / 24) + _coarse(rng, n, 120, 0.004, 0.9)
    chlorine = np.clip(chlorine + rng.normal(0, 0.004, n), 0.05, None)
    turb = 0.12 + 0.03 * np.abs(_coarse(rng, n, 180, 0.05, 0.5)) + np.abs(rng.normal(0, 0.004, n))
    return pd.DataFrame({
        "temp": np.round(temp, 1), "cond": np.round(cond), "ph": np.round(ph, 2),
        "chlorine": np.round(chlorine, 2), "turb": np.round(turb, 2),
    }, index=idx)


def river_sonde_irregular(days: int = 120, seed: int = 11,
                          start: str = "2021-04-01") -> pd.DataFrame:
    """A river sonde logging about every 90 minutes, irregularly, no faults (see the module notes).

    Parameters
    ----------
    days : int, default 120
        Length of the record.
    seed : int, default 11
        Seed of ``numpy.random.default_rng``.
    start : str, default "2021-04-01"
        The first timestamp.

    Returns
    -------
    DataFrame
        Columns ``temp`` (°C, 0.01), ``cond`` (µS/cm, 0.1), ``ph`` (0.01), ``do``
        (mg/L, 0.01), ``turb`` (NTU, 0.1); an irregular DatetimeIndex named
        ``datetime`` (steps of 60-120 min, a few gaps of about 12 h).
    """
    rng = np.random.default_rng(seed)
    steps = rng.uniform(60, 120, size=int(days * 24 * 60 / 90) + 10)
    gaps = rng.choice(steps.size, size=max(1, days // 30), replace=False)
    steps[gaps] += 720
    minutes = np.cumsum(np.r_[0.0, steps])
    minutes = minutes[minutes < days * 1440]
    idx = pd.DatetimeIndex(pd.Timestamp(start) + pd.to_timedelta(np.round(minutes), unit="min"),
                           name="datetime")
    h = minutes / 60.0
    n = h.size
    doy = h / 24.0
    diel = np.sin(2 * np.pi * (h - 15) / 24)
    season = np.sin(2 * np.pi * (doy - 30) / 365)
    # storms: a sharp front (one or two steps) and an exponential recession over 1-3 days
    storm = np.zeros(n)
    for s in np.sort(rng.uniform(3, days - 3, size=max(2, days // 15))):
        dt = doy - s
        size = rng.uniform(0.5, 1.0)
        storm += np.where(dt >= 0, size * np.exp(-dt / rng.uniform(1, 3)), 0.0)
    storm = np.minimum(storm, 1.2)
    walk = np.interp(h, np.arange(0, h[-1] + 24, 24), _smooth_walk(rng, int(h[-1] // 24) + 2, 0.2, 0.6))
    temp = 12 + 5 * season + 1.8 * diel + 0.6 * walk - 1.5 * storm + rng.normal(0, 0.03, n)
    cond = 420 - 140 * storm + 8 * walk + 3 * diel + rng.normal(0, 0.6, n)
    ph = 8.2 + 0.12 * diel - 0.25 * storm + 0.02 * walk + rng.normal(0, 0.01, n)
    do = 10.5 - 0.2 * (temp - 12) + 0.9 * diel + rng.normal(0, 0.04, n)
    turb = 4 * np.exp(0.3 * walk) + 180 * storm ** 2 + np.abs(rng.normal(0, 0.4, n))
    return pd.DataFrame({
        "temp": np.round(temp, 2), "cond": np.round(cond, 1), "ph": np.round(ph, 2),
        "do": np.round(do, 2), "turb": np.round(turb, 1),
    }, index=idx)
