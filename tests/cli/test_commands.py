"""The command line through main(argv): exit codes, files written, messages."""

from __future__ import annotations

import pandas as pd
import pytest

from aquaflag.cli import main

from conftest import REPO


def run(argv, capsys):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("method, total", [
    ("zscore", 24), ("modified_zscore", 20), ("iqr", 38), ("adjusted_boxplot", 55),
])
def test_detect_flags_the_seed_counts_on_daecheong(daecheong_csv, tmp_path, capsys, method, total):
    code, out, err = run(["detect", daecheong_csv, "--method", method, "--out", tmp_path, "--no-plots"], capsys)
    assert code == 0, err
    outliers = pd.read_csv(tmp_path / "outliers.csv", encoding="utf-8-sig")
    assert len(outliers) == total and set(outliers["method"]) == {method}
    assert f"total" in out and str(total) in out.splitlines()[-3]


def test_detect_all_writes_every_output(daecheong_csv, tmp_path, capsys):
    code, out, err = run(["detect", daecheong_csv, "--out", tmp_path], capsys)
    assert code == 0, err
    for name in ("outliers.csv", "flags.csv", "cleaned.csv", "summary.csv"):
        assert (tmp_path / name).stat().st_size > 0
    data = pd.read_csv(daecheong_csv, encoding="utf-8-sig", index_col="Date")
    flags = pd.read_csv(tmp_path / "flags.csv", encoding="utf-8-sig", index_col=0)
    assert flags.shape == data.shape and list(flags.columns) == list(data.columns)
    cleaned = pd.read_csv(tmp_path / "cleaned.csv", encoding="utf-8-sig", index_col=0)
    assert cleaned.shape == data.shape
    assert cleaned.isna().sum().sum() > data.isna().sum().sum()
    pngs = sorted((tmp_path / "plots").glob("*.png"))
    assert len(pngs) == 24  # 12 columns + 12 method grids
    assert "wrote" in out and str(tmp_path) in out


def test_threshold_and_columns(daecheong_csv, tmp_path, capsys):
    code, _, err = run(["detect", daecheong_csv, "-m", "iqr", "-t", "3", "--columns", "pH*", "--out", tmp_path,
                        "--no-plots", "-q"], capsys)
    assert code == 0, err
    summary = pd.read_csv(tmp_path / "summary.csv", encoding="utf-8-sig")
    assert summary["column"].str.startswith("pH").all() and len(summary) == 3
    assert (summary["parameters"] == "threshold=3.0").all()


@pytest.mark.parametrize("argv, message", [
    (["detect", "missing.csv"], "missing.csv"),
    (["detect", "{csv}", "--method", "zcore"], "did you mean 'zscore'"),
    (["detect", "{csv}", "--method", "iqr", "--threshold", "-1"], "threshold of iqr must be > 0; got -1"),
    (["detect", "{csv}", "--threshold", "2"], "needs a single --method"),
    (["detect", "{csv}", "--columns", "pH(Munui)"], "did you mean 'pH(Mun-Ui)'"),
    (["detect", "{empty}"], "is empty"),
    (["methods", "hampell_x"], "unknown method"),
    (["nonsense"], "No such command"),
])
def test_bad_input_exits_2_with_one_line(daecheong_csv, tmp_path, capsys, argv, message):
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    argv = [a.format(csv=daecheong_csv, empty=empty) for a in argv] + ["--out", tmp_path / "o"] * (argv[0] == "detect")
    code, out, err = run(argv, capsys)
    assert code == 2
    assert message in err
    assert "Traceback" not in err + out


def test_wrong_encoding_is_a_clear_error(tmp_path, capsys):
    bad = tmp_path / "japanese.csv"
    bad.write_bytes("日付,水温\n2020-01-01,5\n".encode("utf-16-be")[2:] + b"\xff\xfe\x00")
    code, _, err = run(["detect", bad, "--out", tmp_path / "o"], capsys)
    assert code == 2 and "japanese.csv" in err and "Traceback" not in err


def test_text_values_are_reported(tmp_path, capsys):
    f = tmp_path / "lab.csv"
    f.write_text("date,turbidity,pH,station\n" + "".join(
        f"2020-01-{d:02d},{'<0.5' if d % 5 == 0 else d / 10},{7 + d / 100},A\n" for d in range(1, 29)
    ) + "2020-01-29,ND,7.1,A\n", encoding="utf-8")
    code, out, err = run(["detect", f, "--out", tmp_path / "o", "--no-plots"], capsys)
    assert code == 0, err
    assert "censored" in out and "station" in out


def test_methods_listing_and_detail(capsys):
    code, out, _ = run(["methods"], capsys)
    assert code == 0 and "adjusted_boxplot" in out and "modified_zscore" in out
    code, out, _ = run(["methods", "modified_zscore"], capsys)
    assert code == 0 and "threshold = 3.5" in out and "0.6745" in out


def test_demo(tmp_path, capsys):
    out_dir = tmp_path / "demo"
    code, out, err = run(["demo", "--out", out_dir, "--no-plots"], capsys)
    assert code == 0, err
    for name in ("demo_data.csv", "demo_truth.csv", "outliers.csv", "flags.csv", "summary.csv",
                 "report.html"):
        assert (out_dir / name).exists()
    assert "report:" in out and "injected anomalies found" in out


def test_report_option_and_korean(daecheong_csv, tmp_path, capsys):
    code, out, err = run(["detect", daecheong_csv, "-m", "iqr", "--no-plots", "--out", tmp_path,
                          "--report", tmp_path / "r.html", "--lang", "ko"], capsys)
    assert code == 0, err
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "요약" in page and "pH(Hoe-Nam)" in page
    assert f"report: {tmp_path / 'r.html'}" in out


def test_help_exits_0(capsys):
    code, out, _ = run(["--help"], capsys)
    assert code == 0 and "detect" in out


def test_progress_on_many_series_and_quiet(tmp_path, capsys):
    import numpy as np

    import aquaflag

    frame = pd.DataFrame(np.random.default_rng(0).normal(size=(300, 12)),
                         index=pd.date_range("2020", periods=300, freq="h"),
                         columns=[f"c{i}" for i in range(12)])
    path = aquaflag.write(frame, tmp_path / "wide.csv")
    code, out, err = run(["detect", path, "-o", tmp_path / "o", "--no-plots"], capsys)
    assert code == 0 and "evaluating series" in err
    code, out, err = run(["detect", path, "-o", tmp_path / "o", "--no-plots", "-q"], capsys)
    assert code == 0 and out == "" and err == ""


def test_run_on_a_partitioned_parquet_folder(tmp_path, capsys):
    from aquaflag.datasets import demo
    from aquaflag.io import write_long

    folder = write_long(demo(), tmp_path / "ds", partition_by="station")
    code, out, err = run(["run", "-c", REPO / "src" / "aquaflag" / "templates" / "weekly_reservoir.toml", folder,
                          "-o", tmp_path / "o", "--no-plots"], capsys)
    assert code == 0, err
    flags = pd.read_csv(tmp_path / "o" / "flags.csv", encoding="utf-8-sig", index_col=0)
    assert flags.shape == (404, 12)
