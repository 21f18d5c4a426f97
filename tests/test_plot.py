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
from aquaflag.errors import InputError, ParameterError  # noqa: E402
from aquaflag.plot import plot_column, plot_methods, safe_filename, save_plots  # noqa: E402

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
    np.testing.assert_array_equal(red.get_ydata(), frame[column].to_numpy()[det.mask])
    np.testing.assert_array_equal(_num(red.get_xdata()), mdates.date2num(frame.index[det.mask]))
    (values,) = _by_label(ax, "values")
    assert red.get_zorder() > values.get_zorder()


def test_artists_lines_and_styles(res_one, frame):
    ax = plot_column(res_one, "Water Temperature(Mun-Ui)").axes[0]
    lines = _lines(ax)
    assert [ln.get_label() for ln in lines] == ["values", f"outliers ({res_one.detection('Water Temperature(Mun-Ui)').n_outliers})", "bounds", "_nolegend_"]
    assert len(ax.collections) == 0
    values = lines[0]
    assert values.get_linewidth() == pytest.approx(0.8)
    assert values.get_markersize() == pytest.approx(2.0)
    assert values.get_marker() == "o"
    np.testing.assert_array_equal(values.get_ydata(), frame["Water Temperature(Mun-Ui)"].to_numpy())
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[0] == "values" and legend[1].startswith("outliers (") and legend[2] == "bounds"
    assert len(legend) == 3


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
    (red,) = _by_label(ax, "outliers")
    np.testing.assert_array_equal(red.get_ydata(), frame[column].to_numpy()[any_mask])
    assert _bounds(ax) == []
    assert ax.get_title() == column


def test_method_given_with_several_rules(res_all):
    column = "DO(Hoe-Nam)"
    ax = plot_column(res_all, column, method="modified_zscore").axes[0]
    det = res_all.detection(column, "modified_zscore")
    assert ax.get_title() == f"{column} — modified_zscore"
    (red,) = _by_label(ax, "outliers")
    assert len(red.get_ydata()) == det.n_outliers
    lo, hi = _bounds(ax)
    np.testing.assert_array_equal(hi.get_ydata(), det.upper)


def test_title_single_rule_is_column(res_one):
    assert plot_column(res_one, "DO(Hoe-Nam)", method="iqr").axes[0].get_title() == "DO(Hoe-Nam)"


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
    np.testing.assert_array_equal(red.get_xdata(), np.flatnonzero(det.mask))
    np.testing.assert_array_equal(red.get_ydata(), [12.0])
    assert not isinstance(ax.xaxis.get_major_formatter(), mdates.ConciseDateFormatter)
    assert ax.get_ylabel() == ""  # pH has no unit
    _draw_strict(fig)


def test_tz_aware_index_labels_in_local_time():
    idx = pd.date_range("2021-03-01", periods=48, freq="h", tz="Asia/Seoul")
    s = pd.Series(np.r_[np.linspace(5, 6, 47), 20.0], index=idx, name="DO(x)")
    fig = plot_column(aquaflag.detect(s, method="iqr"), "DO(x)")
    ax = fig.axes[0]
    (red,) = _by_label(ax, "outliers")
    assert mdates.num2date(_num(red.get_xdata())[0]) == idx[-1]
    assert ax.xaxis.get_major_formatter()._tz is not None  # noqa: SLF001
    _draw_strict(fig)


def test_draw_on_given_axes(res_one):
    fig = Figure()
    ax1, ax2 = fig.subplots(1, 2)
    out = plot_column(res_one, "DO(Hoe-Nam)", ax=ax2)
    assert out is fig
    assert len(ax2.get_lines()) == 4 and len(ax1.get_lines()) == 0
    assert ax2.get_legend() is not None


def test_figsize(res_one):
    fig = plot_column(res_one, "DO(Hoe-Nam)", figsize=(6, 2))
    assert tuple(fig.get_size_inches()) == (6, 2)
    assert tuple(plot_column(res_one, "DO(Hoe-Nam)").get_size_inches()) == (10, 3.5)


def test_many_points_drop_markers():
    n = aplot.MAX_MARKERS + 1
    res = aquaflag.detect(pd.Series(np.sin(np.arange(n) / 50.0), name="v"), method="iqr")
    (values,) = _by_label(plot_column(res, "v").axes[0], "values")
    assert values.get_marker() in (None, "None", "none", "")


def test_bad_column_and_method(res_one, res_all):
    with pytest.raises(InputError, match="(?i)did you mean"):
        plot_column(res_one, "DO(Hoe-Nan)")
    with pytest.raises(ParameterError, match="no rule 'hampel'"):
        plot_column(res_all, "DO(Hoe-Nam)", method="hampel")


def test_top_level_plot_entry_points(res_all):
    fig = aquaflag.plot_column(res_all, "DO(Hoe-Nam)", method="iqr")
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
        (red,) = _by_label(ax, "outliers")
        np.testing.assert_array_equal(red.get_ydata(), frame[column].to_numpy()[det.mask])
        lo, hi = _bounds(ax)
        np.testing.assert_array_equal(lo.get_ydata(), det.lower)
        np.testing.assert_array_equal(hi.get_ydata(), det.upper)
    # shared axes
    a0 = axes[0]
    for ax in axes[1:]:
        assert ax.get_shared_x_axes().joined(a0, ax)
        assert ax.get_shared_y_axes().joined(a0, ax)
    assert [t.get_text() for t in fig.legends[0].get_texts()] == ["values", "outliers", "bounds"]
    _draw_strict(fig)


@pytest.mark.parametrize("methods, geometry", [(["iqr"], (1, 1)), (["iqr", "zscore"], (2, 1)),
                                               (["iqr", "zscore", "adjusted_boxplot"], (3, 1))])
def test_methods_fewer_panels(res_all, methods, geometry):
    fig = plot_methods(res_all, "DO(Hoe-Nam)", methods=methods)
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
        plot_methods(res_all, "DO(Hoe-Nam)", methods=["nope"])


# ------------------------------------------------------------------------ Hangul
def test_hangul_title_renders_without_missing_glyphs(res_all):
    fig = plot_column(res_all, KO_TEMP, method="iqr")
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
    assert family[-1] == aplot._korean_font()
    assert family[0] == matplotlib.rcParams["font.family"][0]  # Latin, digits, minus: default font
    assert {k: matplotlib.rcParams[k] for k in rc_before} == rc_before  # global state untouched
    ax.set_ylim(-5, 5)  # negative tick labels with the unicode minus
    _draw_strict(fig)
    assert any("\N{MINUS SIGN}" in t.get_text() for t in ax.get_yticklabels())


def test_korean_font_is_cached_and_named():
    name = aplot._korean_font()
    assert name is not None and "nanum" in name.lower()
    assert aplot._korean_font() is name


def test_latin_text_keeps_default_font(res_one):
    ax = plot_column(res_one, "DO(Hoe-Nam)").axes[0]
    assert aplot._korean_font() not in ax.title.get_fontfamily()


def test_no_hangul_font_warns_once(monkeypatch):
    from matplotlib import font_manager

    monkeypatch.setitem(sys.modules, "koreanize_matplotlib", None)  # import fails
    monkeypatch.setattr(aplot.importlib.util, "find_spec", lambda name: None)
    monkeypatch.setattr(font_manager.fontManager, "ttflist", [])
    aplot._korean_font.cache_clear()
    try:
        with warnings.catch_warnings(record=True) as seen:
            warnings.simplefilter("always")
            assert aplot._korean_font() is None
            assert aplot._korean_font() is None
            assert aplot._font_kw(KO_TEMP) == {}
        msgs = [str(w.message) for w in seen if "no font with Hangul glyphs" in str(w.message)]
        assert len(msgs) == 1
    finally:
        aplot._korean_font.cache_clear()


def test_fallback_to_installed_nanum_font(monkeypatch):
    """Without koreanize_matplotlib importable, its font file (or any Nanum font) is used."""
    real = aplot._korean_font()  # registers NanumGothic with the font manager
    monkeypatch.setitem(sys.modules, "koreanize_matplotlib", None)
    monkeypatch.setattr(aplot.importlib.util, "find_spec", lambda name: None)
    aplot._korean_font.cache_clear()
    try:
        assert aplot._korean_font() == real
    finally:
        aplot._korean_font.cache_clear()


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
    assert len(safe_filename("x" * 500)) == 100


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
