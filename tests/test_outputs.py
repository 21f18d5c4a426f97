"""Writing a run's outputs: atomically, never over the input, no stale files, safe in spreadsheets."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pandas as pd
import pytest

import aquaflag
from aquaflag.cli import main
from aquaflag.errors import InputError
from aquaflag.outputs import MANIFEST, csv_safe, write_outputs


def frame(columns=("pH(A)", "pH(B)")) -> pd.DataFrame:
    idx = pd.date_range("2024-01-01", periods=60, freq="D", name="time")
    rng = np.random.default_rng(1)
    data = {c: 7 + rng.normal(0, 0.1, 60) for c in columns}
    out = pd.DataFrame(data, index=idx)
    out.iloc[30, 0] = 12.0
    return out


def test_output_onto_the_input_folder_never_overwrites_the_input_or_config(tmp_path, capsys):
    # issue 12: `aquaflag run -c config.toml cleaned.csv -o .` used to overwrite both
    data = frame()
    data.to_csv(tmp_path / "cleaned.csv")
    config = tmp_path / "config.toml"
    config.write_text("# my notes\n[[rule]]\nmethod = 'modified_zscore'\n", encoding="utf-8")
    before = (tmp_path / "cleaned.csv").read_bytes(), config.read_bytes()
    code = main(["run", "-c", str(config), str(tmp_path / "cleaned.csv"), "-o", str(tmp_path),
                 "--no-plots"])
    err = capsys.readouterr().err
    assert code == 2 and "would overwrite" in err and "cleaned.csv" in err
    assert ((tmp_path / "cleaned.csv").read_bytes(), config.read_bytes()) == before


def test_config_is_saved_with_its_comments(tmp_path, capsys):
    data = frame()
    data.to_csv(tmp_path / "data.csv")
    config = tmp_path / "qc.toml"
    config.write_text("# my notes\n[[rule]]\nmethod = 'modified_zscore'\n", encoding="utf-8")
    assert main(["run", "-c", str(config), str(tmp_path / "data.csv"), "-o", str(tmp_path / "out"),
                 "--no-plots", "-q"]) == 0
    assert (tmp_path / "out" / "config.toml").read_text(encoding="utf-8").startswith("# my notes")


def test_output_name_taken_by_a_folder_is_a_clear_error(tmp_path):
    (tmp_path / "flags.csv").mkdir()
    with pytest.raises(InputError, match="flags.csv: a folder of that name is in the way"):
        write_outputs(aquaflag.detect(frame(), method="iqr"), tmp_path, plots=False)


def test_out_pointing_at_a_file_is_a_clear_error(tmp_path):
    target = tmp_path / "file.txt"
    target.write_text("x", encoding="utf-8")
    with pytest.raises(InputError, match="is a file, not a folder"):
        write_outputs(aquaflag.detect(frame(), method="iqr"), target, plots=False)


def test_reused_out_removes_only_its_own_stale_files_and_says_so(tmp_path):
    out = tmp_path / "out"
    first = write_outputs(aquaflag.detect(frame(("pH(A)", "pH(B)")), method="iqr"), out)
    assert {p.name for p in (out / "plots").glob("*.png")} == {"pH_A.png", "pH_B.png"}
    (out / "plots" / "mine.png").write_bytes(b"not ours")
    (out / "notes.txt").write_text("mine", encoding="utf-8")
    again = write_outputs(aquaflag.detect(frame(("pH(A)",)), method="iqr"), out)
    assert [p.name for p in again.removed] == ["pH_B.png"]
    assert (out / "plots" / "mine.png").exists() and (out / "notes.txt").exists()
    assert {p.name for p in again.replaced} >= {"flags.csv", "pH_A.png"}
    assert not first.replaced
    assert (out / MANIFEST).exists()


def test_formula_like_names_and_labels_are_neutralised_numbers_kept(tmp_path):
    hostile = ["=cmd|' /C calc'!A0", "+SUM(1,2)", "@x", "-2+3"]
    data = frame(hostile)
    res = aquaflag.detect(data, method={"iqr": {}})
    write_outputs(res, tmp_path, plots=False)
    for name in ("outliers.csv", "provenance.csv", "summary.csv"):
        table = pd.read_csv(tmp_path / name, encoding="utf-8-sig")
        assert not table["column"].astype(str).str.match(r"^[=+\-@]").any(), name
    for name in ("flags.csv", "cleaned.csv", "qc_data.csv"):
        header = (tmp_path / name).read_text(encoding="utf-8-sig").splitlines()[0]
        assert all(not cell.strip('"').startswith(("=", "+", "-", "@")) for cell in header.split(","))
    cleaned = pd.read_csv(tmp_path / "cleaned.csv", encoding="utf-8-sig", index_col=0)
    assert cleaned.iloc[:, 1].dtype == np.float64  # numbers stay numbers
    assert csv_safe(pd.DataFrame({"v": [-1.5]}))["v"].tolist() == [-1.5]


def test_derived_numbers_to_15_digits_values_exact(tmp_path, daecheong_csv):
    res = aquaflag.detect(aquaflag.read(daecheong_csv), method="iqr")
    write_outputs(res, tmp_path, plots=False)
    text = (tmp_path / "outliers.csv").read_text(encoding="utf-8-sig")
    assert "6.399999999999999" not in text and "9.600000000000001" not in text
    table = pd.read_csv(tmp_path / "outliers.csv", encoding="utf-8-sig")
    np.testing.assert_allclose(table["upper"], res.outliers["upper"], rtol=1e-14)
    np.testing.assert_array_equal(table["value"], res.outliers["value"])


def test_interrupted_cli_run_leaves_no_truncated_table(tmp_path):
    # issue 12: kill -INT mid-write left a qc_data.csv cut at a clean newline (exit 1)
    n = 300_000
    idx = pd.date_range("2020-01-01", periods=n, freq="min")
    rng = np.random.default_rng(3)
    pd.DataFrame({"pH": 7 + rng.normal(0, 0.1, n), "DO": 9 + rng.normal(0, 0.2, n)},
                 index=idx).rename_axis("time").to_csv(tmp_path / "big.csv")
    codes = set()
    for delay in (2.5, 4.0):
        out = tmp_path / f"out{delay}"
        proc = subprocess.Popen([sys.executable, "-m", "aquaflag", "detect", str(tmp_path / "big.csv"),
                                 "-o", str(out), "--no-plots", "-q"],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        time.sleep(delay)
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
        codes.add(proc.returncode)
        if proc.returncode == -signal.SIGINT and not out.exists():
            continue  # interrupted while Python was still importing: nothing written, nothing to check
        assert proc.returncode in (0, 130), err.decode()
        if proc.returncode == 130:
            assert b"interrupted" in err and b"Traceback" not in err
        for name in ("flags.csv", "cleaned.csv", "qc_data.csv"):
            path = out / name
            if path.exists():
                assert sum(1 for _ in path.open("rb")) == n + 1, name
        assert not [p for p in out.glob(".*.tmp*")] if out.exists() else True
    assert 130 in codes or -signal.SIGINT in codes
