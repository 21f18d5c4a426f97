"""One-line errors and exit codes of the command line (never click's usage block, never a traceback)."""

from __future__ import annotations

import pytest

from aquaflag.cli import main


def run(argv, capsys):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("argv, says", [
    (["detect", "x.csv", "--censored", "maybe"], "--censored"),
    (["detect", "x.csv", "--lang", "fr"], "--lang"),
    (["detect", "x.csv", "--duplicates", "sum"], "--duplicates"),
    (["frobnicate"], "No such command"),
    (["run", "x.csv"], "--config"),
    (["detect", "x.csv", "-m", "iqr", "-m", "zscore", "-t", "2"], "--threshold needs a single --method"),
    (["run", "x.csv", "-c", "qc.toml", "--scheduler", "tcp://h:1"], "--scheduler goes with --engine dask"),
])
def test_usage_errors_are_one_line(argv, says, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run(argv, capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("aquaflag: error: ") and says in lines[0]
    assert "Usage:" not in err and "Traceback" not in err


def test_init_onto_an_existing_file_is_one_line(daecheong_csv, tmp_path, capsys):
    target = tmp_path / "qc.toml"
    target.write_text("# mine\n", encoding="utf-8")
    code, _, err = run(["init", daecheong_csv, "-o", target], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1 and "--force" in err
    assert target.read_text(encoding="utf-8") == "# mine\n"


def test_input_errors_exit_2_with_the_file_named(tmp_path, capsys):
    code, _, err = run(["detect", tmp_path / "missing.csv"], capsys)
    assert code == 2 and "missing.csv" in err and len(err.strip().splitlines()) == 1


def test_keyboard_interrupt_exits_130(monkeypatch, daecheong_csv, tmp_path, capsys):
    import aquaflag.engine as engine

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(engine, "evaluate", interrupted)
    code, _, err = run(["detect", daecheong_csv, "--out", tmp_path / "o"], capsys)
    assert code == 130 and "interrupted" in err
    assert not (tmp_path / "o" / "outliers.csv").exists()


def test_no_arguments_prints_help(capsys):
    code, out, _ = run([], capsys)
    assert code == 0 and "detect" in out and "Usage" in out
