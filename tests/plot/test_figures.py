"""Tests for aquaflag.plot: figures that read a Result, Hangul text, PNG files."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

matplotlib = pytest.importorskip("matplotlib")

import matplotlib.dates as mdates  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

import aquaflag  # noqa: E402
from aquaflag import plot as aplot  # noqa: E402
from aquaflag.plot import _fonts, figures  # noqa: E402
from aquaflag.errors import InputError, ParameterError  # noqa: E402
from aquaflag.plot import plot_column, plot_methods, plot_rules, safe_filename, save_plots  # noqa: E402

KO_TEMP = "수온(문의)"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


# ------------------------------------------------------------------------ fixtures
def _series(n: int = 120, seed: int = 0, base: float = 15.0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return base + 5 * np.sin(2 * np.pi * t / 52) + rng.normal(0, 0.5, n)


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    idx = pd.date_range("2020-01-06", periods=120, freq="W-MON", name="Date")
    temp = _series(seed=1)
    temp[[10, 70]] = [45.0, -12.0]
    temp[30] = np.nan
    do = _series(seed=2, base=9.0)
    do[50] = 30.0
    ph = 7.5 + np.random.default_rng(3).normal(0, 0.1, 120)
    ph[90] = 10.5
    return pd.DataFrame(
        {"Water Temperature(Mun-Ui)": temp, "DO(Hoe-Nam)": do, KO_TEMP: ph.copy() + 8, "pH(Chu-Dong)": ph},
        index=idx,
    )


@pytest.fixture(scope="module")
def res_one(frame):
    return aquaflag.detect(frame, method="iqr")


@pytest.fixture(scope="module")
def res_all(frame):
    return aquaflag.detect(frame, method="seed")


@pytest.fixture(scope="module")
def res_range():
    values = np.r_[np.linspace(7.0, 8.0, 40), 12.0, np.linspace(8.0, 7.0, 19)]
    return aquaflag.detect(pd.DataFrame({"pH": values}), method="modified_zscore")


def _lines(ax) -> list[Line2D]:
    return list(ax.get_lines())


def _by_label(ax, prefix: str) -> list[Line2D]:
    return [ln for ln in ax.get_lines() if ln.get_label().startswith(prefix)]


def _bounds(ax) -> list[Line2D]:
    return [ln for ln in ax.get_lines() if ln.get_linestyle() == "--"]


def _off_scale(ax) -> list[Line2D]:
    """The triangles at the edge: flagged values outside the y scale."""
    return [ln for ln in ax.get_lines() if ln.get_marker() in ("^", "v")]


def _flag_x(ax) -> np.ndarray:
    """x (as numbers, sorted) of every flagged point drawn: red dots and edge triangles."""
    parts = [_num(ln.get_xdata()) for ln in _by_label(ax, "outliers") + _off_scale(ax)]
    return np.sort(np.concatenate(parts)) if parts else np.array([])


def _num(x) -> np.ndarray:
    """x data of a line as float (date numbers for datetimes)."""
    arr = np.asarray(x)
    if np.issubdtype(arr.dtype, np.datetime64) or arr.dtype == object:
        return mdates.date2num(arr)
    return arr.astype(float)


def _draw_strict(fig: Figure) -> None:
    """Render the figure with every warning an error (missing glyphs included)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fig.canvas.draw()


# ------------------------------------------------------------------- plot_column
def test_plot_column_returns_figure(res_one):
    fig = plot_column(res_one, "DO(Hoe-Nam)")
    assert isinstance(fig, Figure)
    assert len(fig.axes) == 1
    _draw_strict(fig)


@pytest.mark.parametrize("column", ["Water Temperature(Mun-Ui)", "DO(Hoe-Nam)", "pH(Chu-Dong)", KO_TEMP])
def test_outlier_points_are_the_flagged_values_and_times(res_one, frame, column):
    det = res_one.detection(column)
    assert det.n_outliers > 0
    ax = plot_column(res_one, column).axes[0]
    (red,) = _by_label(ax, "outliers")
    assert red.get_color() == "red"
    assert red.get_label() == f"outliers ({det.n_outliers})"
    # every flagged value is drawn: a red dot at its value, or a triangle at the edge
    np.testing.assert_array_equal(_flag_x(ax), mdates.date2num(frame.index[det.mask]))
    values = frame[column].to_numpy()
    lo, hi = ax.get_ylim()
    inside = det.mask & (values >= lo) & (values <= hi)
    np.testing.assert_array_equal(red.get_ydata(), values[inside])
    assert len(red.get_ydata()) + sum(len(t.get_xdata()) for t in _off_scale(ax)) == det.n_outliers
    (line,) = _by_label(ax, "values")
    assert red.get_zorder() > line.get_zorder()


def test_artists_lines_and_styles(res_one, frame):
    column = "Water Temperature(Mun-Ui)"
    ax = plot_column(res_one, column).axes[0]
    lines = _lines(ax)
    n_out = res_one.detection(column).n_outliers
    assert [ln.get_label() for ln in lines] == ["values", f"outliers ({n_out})", "bounds", "_nolegend_",
                                                "off scale (2)", "_nolegend_"]
    assert len(ax.collections) == 0
    values = lines[0]
    assert values.get_linewidth() == pytest.approx(0.8)
    assert values.get_markersize() == pytest.approx(2.0)
    assert values.get_marker() == "o"
    # the line holds every value but those drawn at the edge (45 and -12 °C, far from the rest)
    expected = frame[column].to_numpy().copy()
    expected[(expected == 45.0) | (expected == -12.0)] = np.nan
    np.testing.assert_array_equal(values.get_ydata(), expected)
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["values", f"outliers ({n_out})", "bounds", "off scale (2)"]
    note = " ".join(t.get_text() for t in ax.texts)
    assert "1 above the scale\n    45" in note and "1 below the scale\n    \N{MINUS SIGN}12" in note


def test_bounds_are_the_detection_bounds(res_one):
    det = res_one.detection("DO(Hoe-Nam)")
    ax = plot_column(res_one, "DO(Hoe-Nam)").axes[0]
    lo, hi = _bounds(ax)
    np.testing.assert_array_equal(lo.get_ydata(), det.lower)
    np.testing.assert_array_equal(hi.get_ydata(), det.upper)
    assert np.ptp(lo.get_ydata()) == 0  # a global rule: flat lines


def test_bounds_follow_per_point_arrays_and_skip_nan(frame):
    """A Result with moving / partly missing bounds draws them as they are."""
    res = aquaflag.detect(frame[["DO(Hoe-Nam)"]], method="zscore")
    det = res.detection("DO(Hoe-Nam)")
    n = len(frame)
    lower = np.linspace(0.0, 5.0, n)
    upper = np.full(n, np.nan)  # one side without bound: not drawn
    lower[:5] = np.nan
    lower[-1] = -np.inf  # non-finite: skipped
    moving = aquaflag.Detection(det.mask, det.evaluated, det.score, lower, upper, "zscore")
    res.detections[("DO(Hoe-Nam)", "zscore")] = moving
    ax = plot_column(res, "DO(Hoe-Nam)").axes[0]
    (b,) = _bounds(ax)
    y = b.get_ydata()
    np.testing.assert_array_equal(y[5:-1], lower[5:-1])
    assert np.isnan(y[:5]).all() and np.isnan(y[-1])


def test_not_evaluated_column_draws_no_bounds():
    res = aquaflag.detect(pd.DataFrame({"x": [1.0, 1.0, 1.0, 1.0, 1.0]}), method="zscore")
    ax = plot_column(res, "x").axes[0]
    assert _bounds(ax) == []
    (red,) = _by_label(ax, "outliers")
    assert red.get_label() == "outliers (0)" and len(red.get_ydata()) == 0


def test_several_rules_any_flag_and_no_bounds(res_all, frame):
    column = "Water Temperature(Mun-Ui)"
    ax = plot_column(res_all, column).axes[0]
    any_mask = np.zeros(len(frame), bool)
    for m in res_all.labels:
        any_mask |= res_all.detection(column, m).mask
    np.testing.assert_array_equal(any_mask, res_all.mask[column].to_numpy())
    np.testing.assert_array_equal(_flag_x(ax), mdates.date2num(frame.index[any_mask]))
    assert _bounds(ax) == []
    assert ax.get_title() == column


def test_method_given_with_several_rules(res_all):
    column = "DO(Hoe-Nam)"
    ax = plot_column(res_all, column, rule="modified_zscore").axes[0]
    det = res_all.detection(column, "modified_zscore")
    assert ax.get_title() == f"{column} — modified_zscore"
    (red,) = _by_label(ax, "outliers")
    assert len(red.get_ydata()) + sum(len(t.get_xdata()) for t in _off_scale(ax)) == det.n_outliers
    lo, hi = _bounds(ax)
    np.testing.assert_array_equal(hi.get_ydata(), det.upper)


def test_title_single_rule_is_column(res_one):
    assert plot_column(res_one, "DO(Hoe-Nam)", rule="iqr").axes[0].get_title() == "DO(Hoe-Nam)"


@pytest.mark.parametrize(
    "column, unit",
    [("Water Temperature(Mun-Ui)", "°C"), ("DO(Hoe-Nam)", "mg/L"), (KO_TEMP, "°C"), ("pH(Chu-Dong)", "")],
)
def test_ylabel_is_unit(res_one, column, unit):
    assert plot_column(res_one, column).axes[0].get_ylabel() == unit


def test_unknown_unit_gives_no_label():
    res = aquaflag.detect(pd.Series(np.r_[np.ones(20), 5.0] + np.arange(21) * 0.01, name="Foo level"),
                          method="iqr")
    assert plot_column(res, "Foo level").axes[0].get_ylabel() == ""


def test_date_axis_uses_concise_formatter(res_one):
    ax = plot_column(res_one, "DO(Hoe-Nam)").axes[0]
    assert isinstance(ax.xaxis.get_major_formatter(), mdates.ConciseDateFormatter)
    assert isinstance(ax.xaxis.get_major_locator(), mdates.AutoDateLocator)


def test_range_index(res_range):
    det = res_range.detection("pH")
    fig = plot_column(res_range, "pH")
    ax = fig.axes[0]
    (red,) = _by_label(ax, "outliers")
    assert len(red.get_ydata()) == 0  # 12 is four ranges above 7-8: drawn at the edge
    (edge,) = _off_scale(ax)
    np.testing.assert_array_equal(edge.get_xdata(), np.flatnonzero(det.mask))
    assert edge.get_ydata()[0] > 8.0 and edge.get_ydata()[0] < ax.get_ylim()[1]
    assert not isinstance(ax.xaxis.get_major_formatter(), mdates.ConciseDateFormatter)
    assert ax.get_ylabel() == ""  # pH has no unit
    _draw_strict(fig)


def test_tz_aware_index_labels_in_local_time():
    idx = pd.date_range("2021-03-01", periods=48, freq="h", tz="Asia/Seoul")
    s = pd.Series(np.r_[np.linspace(5, 6, 47), 20.0], index=idx, name="DO(x)")
    fig = plot_column(aquaflag.detect(s, method="iqr"), "DO(x)")
    ax = fig.axes[0]
    assert mdates.num2date(_flag_x(ax)[0]) == idx[-1]
    assert ax.xaxis.get_major_formatter()._tz is not None  # noqa: SLF001
    _draw_strict(fig)


def test_draw_on_given_axes(res_one):
    fig = Figure()
    ax1, ax2 = fig.subplots(1, 2)
    out = plot_column(res_one, "DO(Hoe-Nam)", ax=ax2)
    assert out is fig
    assert len(ax2.get_lines()) == 5 and len(ax1.get_lines()) == 0  # + the edge triangle (30 mg/L)
    assert ax2.get_title(loc="right") == "\N{BLACK UP-POINTING TRIANGLE} 1: 30"
    assert ax2.get_legend() is not None


def test_figsize(res_one):
    fig = plot_column(res_one, "DO(Hoe-Nam)", figsize=(6, 2))
    assert tuple(fig.get_size_inches()) == (6, 2)
    assert tuple(plot_column(res_one, "DO(Hoe-Nam)").get_size_inches()) == (10, 3.5)


def test_many_points_drop_markers():
    n = figures.MAX_MARKERS + 1
    res = aquaflag.detect(pd.Series(np.sin(np.arange(n) / 50.0), name="v"), method="iqr")
    (values,) = _by_label(plot_column(res, "v").axes[0], "values")
    assert values.get_marker() in (None, "None", "none", "")


def test_bad_column_and_method(res_one, res_all):
    with pytest.raises(InputError, match="(?i)did you mean"):
        plot_column(res_one, "DO(Hoe-Nan)")
    with pytest.raises(ParameterError, match="no rule 'hampel'"):
        plot_column(res_all, "DO(Hoe-Nam)", rule="hampel")


def test_top_level_plot_entry_points(res_all):
    fig = aquaflag.plot_column(res_all, "DO(Hoe-Nam)", rule="iqr")
    assert fig.axes[0].get_title() == "DO(Hoe-Nam) — iqr"
    assert len(aquaflag.plot_rules(res_all, "DO(Hoe-Nam)").axes) == 4


def test_result_not_modified(frame):
    res = aquaflag.detect(frame, method="seed")
    before = res.data.copy()
    masks = {k: d.mask.copy() for k, d in res.detections.items()}
    plot_column(res, KO_TEMP)
    plot_methods(res, KO_TEMP)
    pd.testing.assert_frame_equal(res.data, before)
    for k, d in res.detections.items():
        np.testing.assert_array_equal(d.mask, masks[k])


# ------------------------------------------------------------------ plot_methods
def test_methods_grid_2x2(res_all, frame):
    column = "Water Temperature(Mun-Ui)"
    fig = plot_methods(res_all, column)
    axes = fig.axes
    assert len(axes) == 4
    shape = {ax.get_subplotspec().get_geometry()[:2] for ax in axes}
    assert shape == {(2, 2)}
    assert fig.get_suptitle() == column
    for ax, m in zip(axes, res_all.labels):
        det = res_all.detection(column, m)
        s = "s" if det.n_outliers != 1 else ""
        assert ax.get_title() == f"{m}: {det.n_outliers} outlier{s}"
        np.testing.assert_array_equal(_flag_x(ax), mdates.date2num(frame.index[det.mask]))
        lo, hi = _bounds(ax)
        np.testing.assert_array_equal(lo.get_ydata(), det.lower)
        np.testing.assert_array_equal(hi.get_ydata(), det.upper)
    # shared axes
    a0 = axes[0]
    for ax in axes[1:]:
        assert ax.get_shared_x_axes().joined(a0, ax)
        assert ax.get_shared_y_axes().joined(a0, ax)
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["values", "outliers", "bounds", "off scale"]
    _draw_strict(fig)


@pytest.mark.parametrize("methods, geometry", [(["iqr"], (1, 1)), (["iqr", "zscore"], (2, 1)),
                                               (["iqr", "zscore", "adjusted_boxplot"], (3, 1))])
def test_methods_fewer_panels(res_all, methods, geometry):
    fig = plot_methods(res_all, "DO(Hoe-Nam)", rules=methods)
    assert len(fig.axes) == len(methods)
    assert {ax.get_subplotspec().get_geometry()[:2] for ax in fig.axes} == {geometry}
    assert [ax.get_title().split(":")[0] for ax in fig.axes] == methods


def test_methods_more_than_four(frame):
    rules = {"zscore": {}, "modified_zscore": {}, "iqr": {}, "adjusted_boxplot": {}}
    res = aquaflag.evaluate(frame[["DO(Hoe-Nam)"]], [aquaflag.Rule(m, p) for m, p in rules.items()]
                            + [aquaflag.Rule("iqr", {"threshold": 3.0}, label="iqr3")])
    fig = plot_methods(res, "DO(Hoe-Nam)")
    assert len(fig.axes) == 5
    assert {ax.get_subplotspec().get_geometry()[:2] for ax in fig.axes} == {(3, 2)}
    # the panel above the removed slot shows its x tick labels
    upper_right = [ax for ax in fig.axes if ax.get_subplotspec().rowspan.start == 1
                   and ax.get_subplotspec().colspan.start == 1][0]
    fig.canvas.draw()
    assert any(t.get_visible() and t.get_text() for t in upper_right.get_xticklabels())


def test_methods_unknown(res_all):
    with pytest.raises(ParameterError):
        plot_methods(res_all, "DO(Hoe-Nam)", rules=["nope"])


# ------------------------------------------------------------------------ Hangul
def test_hangul_title_renders_without_missing_glyphs(res_all):
    fig = plot_column(res_all, KO_TEMP, rule="iqr")
    assert fig.axes[0].get_title() == f"{KO_TEMP} — iqr"
    _draw_strict(fig)  # "Glyph ... missing from font(s)" would be raised here
    grid = plot_methods(res_all, KO_TEMP)
    assert grid.get_suptitle() == KO_TEMP
    _draw_strict(grid)
    fig.savefig(__import__("io").BytesIO(), format="png")


def test_default_font_alone_would_miss_hangul():
    """Guard that the strict draw above detects missing glyphs at all."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    fig = Figure()
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.set_title(KO_TEMP, fontfamily="DejaVu Sans")
    with pytest.warns(UserWarning, match="missing from font"):
        fig.canvas.draw()


def test_hangul_font_fallback_keeps_minus_sign_and_rcparams(res_all):
    rc_before = {k: matplotlib.rcParams[k] for k in ("font.family", "axes.unicode_minus")}
    fig = plot_column(res_all, KO_TEMP)
    ax = fig.axes[0]
    family = ax.title.get_fontfamily()
    assert family[-1] == _fonts.korean_font()
    assert family[0] == matplotlib.rcParams["font.family"][0]  # Latin, digits, minus: default font
    assert {k: matplotlib.rcParams[k] for k in rc_before} == rc_before  # global state untouched
    ax.set_ylim(-5, 5)  # negative tick labels with the unicode minus
    _draw_strict(fig)
    assert any("\N{MINUS SIGN}" in t.get_text() for t in ax.get_yticklabels())


def test_korean_font_is_cached_and_named():
    name = _fonts.korean_font()
    assert name is not None and "nanum" in name.lower()
    assert _fonts.korean_font() is name


def test_latin_text_keeps_default_font(res_one):
    ax = plot_column(res_one, "DO(Hoe-Nam)").axes[0]
    assert _fonts.korean_font() not in ax.title.get_fontfamily()


def test_no_hangul_font_warns_once(monkeypatch):
    from matplotlib import font_manager

    monkeypatch.setitem(sys.modules, "koreanize_matplotlib", None)  # import fails
    monkeypatch.setattr(_fonts.importlib.util, "find_spec", lambda name: None)
    monkeypatch.setattr(font_manager.fontManager, "ttflist", [])
    _fonts.korean_font.cache_clear()
    try:
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            assert _fonts.korean_font() is None
            assert _fonts.korean_font() is None
            assert _fonts.font_kw(KO_TEMP) == {}
        msgs = [str(w.message) for w in seen if "no font with Hangul glyphs" in str(w.message)]
        assert len(msgs) == 1
    finally:
        _fonts.korean_font.cache_clear()


def test_fallback_to_installed_nanum_font(monkeypatch):
    """Without koreanize_matplotlib importable, its font file (or any Nanum font) is used."""
    real = _fonts.korean_font()  # registers NanumGothic with the font manager
    monkeypatch.setitem(sys.modules, "koreanize_matplotlib", None)
    monkeypatch.setattr(_fonts.importlib.util, "find_spec", lambda name: None)
    _fonts.korean_font.cache_clear()
    try:
        assert _fonts.korean_font() == real
    finally:
        _fonts.korean_font.cache_clear()


# ------------------------------------------------------------------------- files
def test_safe_filename():
    assert safe_filename("Water Temperature(Mun-Ui)") == "Water_Temperature_Mun-Ui"
    assert safe_filename(KO_TEMP) == "수온_문의"
    assert safe_filename('a/b\\c:d*e?f"g<h>i|j') == "a_b_c_d_e_f_g_h_i_j"
    assert safe_filename("  ") == "column"
    assert safe_filename("..") == "column"
    assert safe_filename("CON") == "_CON"
    assert safe_filename(42) == "42"
    nfd = __import__("unicodedata").normalize("NFD", KO_TEMP)
    assert safe_filename(nfd) == "수온_문의"
    with pytest.raises(ValueError, match="max_bytes"):
        safe_filename("x", max_bytes=3)
    long = safe_filename("x" * 500)
    assert len(long) == 160 and long.startswith("x" * 150) and "~" in long
    assert safe_filename("x" * 500, max_bytes=40) == "x" * 33 + "~" + long.split("~")[1]


def test_save_plots(tmp_path, res_all):
    out = tmp_path / "plots"
    paths = save_plots(res_all, out)
    names = [p.name for p in paths]
    expected = []
    for stem in ("Water_Temperature_Mun-Ui", "DO_Hoe-Nam", "수온_문의", "pH_Chu-Dong"):
        expected += [f"{stem}.png", f"{stem}__methods.png"]
    assert names == expected
    for p in paths:
        assert p.parent == out
        data = p.read_bytes()
        assert data[:8] == PNG_MAGIC
        assert len(data) > 10_000
    assert sorted(p.name for p in out.iterdir()) == sorted(expected)


def test_save_plots_single_rule_and_no_grid(tmp_path, res_one, res_all):
    seen = []
    assert [p.name for p in save_plots(res_one, tmp_path / "a", progress=seen.append)] == [
        "Water_Temperature_Mun-Ui.png", "DO_Hoe-Nam.png", "수온_문의.png", "pH_Chu-Dong.png"]
    assert seen == list(res_one.columns)
    assert len(save_plots(res_all, tmp_path / "b", methods_grid=False)) == 4


def test_save_plots_dpi(tmp_path, res_one):
    import struct

    (p,) = [q for q in save_plots(res_one, tmp_path, dpi=50) if q.name == "DO_Hoe-Nam.png"]
    width, height = struct.unpack(">II", p.read_bytes()[16:24])
    assert (width, height) == (500, 175)


def test_save_plots_collision_safe(tmp_path):
    rng = np.random.default_rng(5)
    cols = ["a b", "a_b", "A(B)", "a/b", "x", "x__methods"]
    frame = pd.DataFrame({c: rng.normal(size=30) for c in cols})
    res = aquaflag.detect(frame, method=["iqr", "zscore"])
    paths = save_plots(res, tmp_path, dpi=30)
    names = [p.name for p in paths]
    assert len(set(n.casefold() for n in names)) == len(names) == 12
    assert names[0] == "a_b.png" and names[2] == "a_b_2.png" and names[4] == "A_B_3.png"
    # runs of "_" collapse in column names, so a column never takes a "__methods" name
    assert "x_methods.png" in names and "x__methods.png" in names
    assert len(list(tmp_path.iterdir())) == 12


# ------------------------------------------------------------------ import hygiene
def test_write_outputs_writes_plots(tmp_path, frame):
    outputs = pytest.importorskip("aquaflag.outputs")
    res = aquaflag.detect(frame[[KO_TEMP]], method=["iqr", "zscore"])
    done = []
    paths = outputs.write_outputs(res, tmp_path / "run", progress=done.append).paths
    assert done == [KO_TEMP]
    assert (paths["plots"] / "수온_문의.png").read_bytes()[:8] == PNG_MAGIC
    assert (paths["plots"] / "수온_문의__methods.png").exists()


def test_import_aquaflag_does_not_import_matplotlib():
    code = "import aquaflag, sys; assert 'matplotlib' not in sys.modules, 'matplotlib imported'"
    subprocess.run([sys.executable, "-c", code], check=True)


def test_plot_module_does_not_touch_pyplot():
    code = (
        "import sys, aquaflag, pandas as pd; import aquaflag.plot as p; "
        "r = aquaflag.detect(pd.Series([1.0, 2, 3, 2, 1, 9], name='수온(문의)'), method='iqr'); "
        "p.plot_column(r, '수온(문의)').savefig(__import__('io').BytesIO()); "
        "assert 'matplotlib.pyplot' not in sys.modules, 'pyplot imported'; "
        "import matplotlib; assert matplotlib.rcParams['font.family'] == ['sans-serif']; "
        "assert matplotlib.rcParams['axes.unicode_minus'] is True"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


# -------------------------------------------------------------- defects (issue 10)
SENTINEL = 7999.0


@pytest.fixture(scope="module")
def res_sentinel():
    """An LRO-like temperature with logger sentinels (7999, -9999), flagged by a gross range."""
    idx = pd.date_range("2021-01-01", periods=600, freq="h", name="time")
    values = 15 + 5 * np.sin(np.arange(600) / 60) + np.random.default_rng(4).normal(0, 0.2, 600)
    values[[50, 300, 301]] = SENTINEL
    values[450] = -9999.0
    frame = pd.DataFrame({"water_temp_C": values}, index=idx)
    rules = [aquaflag.Rule("gross_range", {"lower": -5.0, "upper": 40.0}), aquaflag.Rule("zscore")]
    return aquaflag.evaluate(frame, rules)


def test_sentinels_do_not_flatten_the_figure(res_sentinel):
    """Before: the y axis ran from -9999 to 7999 and the series was a flat line."""
    fig = plot_column(res_sentinel, "water_temp_C", rule="gross_range")
    ax = fig.axes[0]
    lo, hi = ax.get_ylim()
    good = res_sentinel.data["water_temp_C"].to_numpy()
    good = good[np.abs(good) < 1000]
    assert lo < good.min() and hi > good.max()
    assert hi - lo < 3 * np.ptp(good)  # scaled on the good values, with a margin
    up, down = _off_scale(ax)
    assert up.get_marker() == "^" and down.get_marker() == "v"
    assert len(up.get_xdata()) == 3 and len(down.get_xdata()) == 1
    assert lo < down.get_ydata()[0] < good.min() < good.max() < up.get_ydata()[0] < hi
    (line,) = _by_label(ax, "values")
    assert np.isnan(line.get_ydata()[[50, 300, 301, 450]]).all()  # no spike lines to the edge
    note = " ".join(t.get_text() for t in ax.texts)
    assert "3 above the scale" in note and "max 7999" in note and "\N{MINUS SIGN}9999" in note
    assert "off scale (4)" in [t.get_text() for t in ax.get_legend().get_texts()]
    _draw_strict(fig)
    # the rule grid: one scale for every panel, the true values in each panel's corner
    grid = plot_rules(res_sentinel, "water_temp_C")
    for gax in grid.axes:
        assert gax.get_ylim() == (lo, hi)
        assert "7999" in gax.get_title(loc="right")
    _draw_strict(grid)


def test_rule_keyword_and_deprecated_method(res_all):
    column = "DO(Hoe-Nam)"
    assert plot_column(res_all, column, rule="iqr").axes[0].get_title() == f"{column} — iqr"
    assert plot_column(res_all, column, "iqr").axes[0].get_title() == f"{column} — iqr"
    with pytest.warns(DeprecationWarning, match="rule="):
        fig = plot_column(res_all, column, method="iqr")
    assert fig.axes[0].get_title() == f"{column} — iqr"
    with pytest.raises(ParameterError, match="once"), pytest.warns(DeprecationWarning):
        plot_column(res_all, column, rule="iqr", method="zscore")
    assert [ax.get_title().split(":")[0] for ax in plot_rules(res_all, column, rules=["iqr"]).axes] == ["iqr"]
    with pytest.warns(DeprecationWarning, match="rules="):
        assert len(plot_rules(res_all, column, methods=["iqr", "zscore"]).axes) == 2
    assert plot_methods is plot_rules


def test_long_korean_names_fit_the_file_system(tmp_path):
    """Before: an 84-character Korean name gave a 300-byte file name (OSError on ext4)."""
    base = "클로로필a_" + "가나다라마바사아자차카타파하" * 6
    cols = [base + "(문의)", base + "(추동)", "짧은_이름"]
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({c: rng.normal(size=40) for c in cols},
                         index=pd.date_range("2020-01-01", periods=40, freq="D"))
    assert len(cols[0]) >= 84 and len(cols[0].encode()) > 255
    res = aquaflag.detect(frame, method=["iqr", "zscore"])
    paths = save_plots(res, tmp_path, dpi=30)
    names = [p.name for p in paths]
    assert len(names) == 6 and len(set(names)) == 6
    assert all(len(n.encode("utf-8")) <= 255 for n in names)
    assert names[0].startswith("클로로필a_가나다라") and names[2].startswith("클로로필a_가나다라")
    assert names[0] != names[2]  # the hash of the whole name tells them apart
    assert names[4] == "짧은_이름.png"
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(names)


def test_reused_figures_draw_like_fresh_ones(tmp_path, res_all, frame):
    """save_plots draws every column into the same figure: the pixels equal a fresh figure's."""
    from PIL import Image

    from aquaflag.plot._save import write_png

    paths = save_plots(res_all, tmp_path / "reused", dpi=40)
    for k, column in enumerate(frame.columns):
        fresh = tmp_path / f"fresh{k}.png"
        write_png(plot_column(res_all, column), fresh, dpi=40)
        grid = tmp_path / f"fresh{k}_grid.png"
        write_png(plot_rules(res_all, column), grid, dpi=40)
        for got, want in ((paths[2 * k], fresh), (paths[2 * k + 1], grid)):
            a = np.asarray(Image.open(got).convert("RGB"))
            b = np.asarray(Image.open(want).convert("RGB"))
            assert a.shape == b.shape
            assert np.array_equal(a, b), f"{got.name} differs from a fresh figure"


def test_write_png_is_a_png_of_the_figure(tmp_path, res_one):
    import struct

    from aquaflag.plot._save import write_png

    fig = plot_column(res_one, "DO(Hoe-Nam)")
    dpi_before = fig.get_dpi()
    path = write_png(fig, tmp_path / "x.png", dpi=80)
    data = path.read_bytes()
    assert data[:8] == PNG_MAGIC
    assert struct.unpack(">II", data[16:24]) == (800, 280)
    assert fig.get_dpi() == dpi_before
    assert b"aquaflag" in data  # the Software text chunk


def test_wrap_title_fits_korean_names():
    from aquaflag.plot.figures import _text_units, wrap_title

    name = "수온_" + "가나다라마바사아자차카타파하" * 6 + "(문의)"
    lines = wrap_title(name, 7.0, 12.0)
    assert 1 < len(lines) <= 3
    budget = int(7.0 * 72 / (12.0 * 0.56))
    assert all(_text_units(line) <= budget for line in lines)
    assert wrap_title("pH(Mun-Ui)", 7.0, 12.0) == ["pH(Mun-Ui)"]
    assert wrap_title("x" * 1000, 2.0, 12.0)[-1].endswith("…")


def test_import_plot_package_does_not_import_matplotlib():
    code = ("import sys, aquaflag.plot as p; p.safe_filename('a b'); "
            "assert 'matplotlib' not in sys.modules, 'matplotlib imported'")
    subprocess.run([sys.executable, "-c", code], check=True)


def test_write_png_of_a_figure_without_an_agg_canvas(tmp_path, res_one):
    from matplotlib.backends.backend_pdf import FigureCanvasPdf

    from aquaflag.plot._save import write_png

    fig = plot_column(res_one, "DO(Hoe-Nam)")
    FigureCanvasPdf(fig)
    assert write_png(fig, tmp_path / "y.png", dpi=30).read_bytes()[:8] == PNG_MAGIC
