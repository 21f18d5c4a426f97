"""`aquaflag tune` and `aquaflag evaluate` from the command line: synthetic files and the LRO data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from aquaflag.cli import main
from aquaflag.config import load

from conftest import shared_file

START = """
[[rule]]
name = "far out"
method = "modified_zscore"
threshold = 12.0

[[rule]]
name = "offset"
method = "offset_stretch"
variable = "do"
threshold = 30.0
"""


def run(argv, capsys):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def files(tmp_path):
    """A data CSV (hourly pH, DO), a wide label CSV, a long label CSV and a starting config."""
    rng = np.random.default_rng(0)
    n = 30 * 24
    idx = pd.date_range("2021-01-01", periods=n, freq="h", name="time")
    t = np.arange(n)
    ph = 8 + 0.1 * np.sin(2 * np.pi * t / 24) + rng.normal(0, 0.01, n)
    do = 10 + 0.5 * np.sin(2 * np.pi * t / 24) + rng.normal(0, 0.03, n)
    spikes = rng.choice(np.arange(10, n - 10), 10, replace=False)
    ph[spikes] += 0.5
    a, b = 300, 300 + 6 * 24
    do[a:b] += 1.5
    data = pd.DataFrame({"ph": ph.round(3), "do": do.round(3)}, index=idx)
    labels = pd.DataFrame({"ph": np.isin(t, spikes), "do": (t >= a) & (t < b)}, index=idx)
    paths = {"data": tmp_path / "data.csv", "labels": tmp_path / "labels.csv",
             "long": tmp_path / "long.csv", "config": tmp_path / "qc.toml"}
    data.to_csv(paths["data"])
    labels.to_csv(paths["labels"])
    rows = [{"column": c, "time": ts.isoformat(), "label": bool(labels.at[ts, c]), "reviewer": "ana"}
            for c in labels.columns for ts in labels.index[::3].union(labels.index[labels[c]])]
    pd.DataFrame(rows).to_csv(paths["long"], index=False)
    paths["config"].write_text(START, encoding="utf-8")
    return paths


def test_tune_writes_a_config_with_expected_scores(files, tmp_path, capsys):
    out = tmp_path / "tuned.toml"
    code, text, err = run(["tune", "-c", files["config"], "--labels", files["labels"], files["data"],
                           "-o", out, "--folds", "3"], capsys)
    assert code == 0, err
    assert "expected on new data" in text and "point F1" in text and f"wrote {out}" in text
    body = out.read_text(encoding="utf-8")
    assert "# expected on new data (time-blocked cross-validation, 3 folds" in body
    cfg = load(out)
    assert {r.label for r in cfg.rules} >= {"far out (ph)", "far out (do)"}
    # the tuned configuration scores better than the start, through `aquaflag evaluate`
    code, start_text, err = run(["evaluate", "--labels", files["labels"], "-c", files["config"],
                                 files["data"], "-o", tmp_path / "start.csv"], capsys)
    assert code == 0, err
    code, tuned_text, err = run(["evaluate", "--labels", files["labels"], "-c", out, files["data"],
                                 "-o", tmp_path / "tuned.csv"], capsys)
    assert code == 0, err
    start = pd.read_csv(tmp_path / "start.csv").set_index("column")
    tuned = pd.read_csv(tmp_path / "tuned.csv").set_index("column")
    assert tuned.loc["(pooled)", "f1"] > max(0.8, start.loc["(pooled)", "f1"])
    assert "PyHydroQC F1" in tuned_text


def test_tune_refuses_to_overwrite_and_checks_label_count(files, tmp_path, capsys):
    out = tmp_path / "tuned.toml"
    out.write_text("x", encoding="utf-8")
    code, _, err = run(["tune", "-c", files["config"], "--labels", files["labels"], files["data"],
                        "-o", out], capsys)
    assert code == 2 and "exists" in err
    code, _, err = run(["tune", "-c", files["config"], "--labels", files["labels"],
                        "--labels", files["labels"], files["data"], "-o", tmp_path / "t2.toml"], capsys)
    assert code == 2 and "one --labels per data file" in err


def test_long_labels_from_a_review(files, tmp_path, capsys):
    out = tmp_path / "tuned.toml"
    code, text, err = run(["tune", "-c", files["config"], "--labels", files["long"], files["data"],
                           "-o", out, "--folds", "2", "--rounds", "1", "--only-labelled", "-q"], capsys)
    assert code == 0, err
    assert text == ""
    code, text, err = run(["evaluate", "--labels", files["long"], "-c", out, files["data"],
                           "--only-labelled", "--per-rule"], capsys)
    assert code == 0, err
    assert "(pooled)" in text and "far out (ph)" in text


def test_evaluate_scores_an_earlier_flags_file(files, tmp_path, capsys):
    code, _, err = run(["run", "-c", files["config"], files["data"], "-o", tmp_path / "out", "--no-plots",
                        "-q"], capsys)
    assert code == 0, err
    code, text, err = run(["evaluate", "--labels", files["labels"], "--flags",
                           tmp_path / "out" / "flags.csv", files["data"]], capsys)
    assert code == 0, err
    assert "(pooled)" in text
    code, _, err = run(["evaluate", "--labels", files["labels"], files["data"]], capsys)
    assert code == 2 and "either -c/--config" in err


def test_evaluate_bad_labels_name_the_file(files, tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("time,ph\n2021-01-01 00:00:00,perhaps\n", encoding="utf-8")
    code, _, err = run(["evaluate", "--labels", bad, "-c", files["config"], files["data"]], capsys)
    assert code == 2 and "bad.csv: column 'ph' holds 'perhaps' at data row 1" in err


# ------------------------------------------------------------------ LRO files
def test_evaluate_on_lro_matches_the_library(tmp_path, capsys):
    path = shared_file("lro", "Mendon2019.csv")
    cfg = tmp_path / "qc.toml"
    cfg.write_text('[[rule]]\nmethod = "flat_line"\nvariable = ["conductivity", "ph"]\nwindow = "6h"\n',
                   encoding="utf-8")
    code, text, err = run(["evaluate", "--labels", path, "-c", cfg, "--columns", "temp,cond,ph,do", path,
                           "-o", tmp_path / "scores.csv"], capsys)
    assert code == 0, err
    got = pd.read_csv(tmp_path / "scores.csv").set_index("column")
    import aquaflag
    from aquaflag.datasets.lro import read_lro
    from aquaflag.metrics import score

    values, labels = read_lro(path)
    res = aquaflag.run(values[["cond", "ph"]], load(cfg))
    for col in ("cond", "ph"):
        s = score(res.mask[col].to_numpy(), labels[col].to_numpy(), evaluated=values[col].notna().to_numpy())
        assert (got.loc[col, "tp"], got.loc[col, "fp"], got.loc[col, "fn"]) == (s["tp"], s["fp"], s["fn"])
    assert got.loc["ph", "f1"] > 0.5


def test_tune_on_lro_from_the_command_line(tmp_path, capsys):
    path = shared_file("lro", "MainStreet2019.csv")
    cfg = tmp_path / "qc.toml"
    cfg.write_text('[[rule]]\nname = "offset"\nmethod = "offset_stretch"\nvariable = "do"\n'
                   'threshold = 16.0\n\n[[rule]]\nname = "zero"\nmethod = "nodata_codes"\n'
                   'variable = "do"\ncodes = [0]\n', encoding="utf-8")
    out = tmp_path / "tuned.toml"
    code, text, err = run(["tune", "-c", cfg, "--labels", path, "--columns", "do", path, "-o", out,
                           "--folds", "2", "--rounds", "1"], capsys)
    assert code == 0, err
    tuned = load(out)
    assert [r.method for r in tuned.rules] == ["offset_stretch", "nodata_codes"]
    code, text, err = run(["evaluate", "--labels", path, "-c", out, "--columns", "do", path,
                           "-o", tmp_path / "s.csv"], capsys)
    assert code == 0, err
    s = pd.read_csv(tmp_path / "s.csv").set_index("column").loc["(pooled)"]
    assert s["f1"] > 0.85  # the +2 mg/L DO offsets and the zeros (in-sample: a smoke test, not evidence)
