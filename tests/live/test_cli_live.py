"""``aquaflag ingest``, ``aquaflag watch --once`` and ``aquaflag alarms`` (alarms to a local receiver)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("sqlalchemy")

from aquaflag.cli import main  # noqa: E402


def run(argv, capsys):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def files(folder, n=2):
    idx = pd.date_range("2021-06-01", periods=96 * n, freq="15min", name="time")
    rng = np.random.default_rng(3)
    frame = pd.DataFrame({"temp(A)": np.round(15 + rng.normal(0, 0.2, idx.size), 2),
                          "do(A)": np.round(9 + rng.normal(0, 0.2, idx.size), 2)}, index=idx)
    frame.iloc[100, 0] = 99.0  # fails the range, on day 2
    paths = []
    for i in range(n):
        path = folder / f"day{i + 1}.csv"
        frame.iloc[96 * i:96 * (i + 1)].to_csv(path)
        paths.append(path)
    return paths


def config(tmp_path, hook: str, severity: str = "fail"):
    path = tmp_path / "qc.toml"
    path.write_text(f"""
[[rule]]
name = "range"
method = "gross_range"
severity = "{severity}"

[[alarm]]
name = "temp fails"
when = "fail"
variable = "temperature"
webhook = "{hook}"
""", encoding="utf-8")
    return path


def test_ingest_prints_each_file_and_the_alarms_sent(tmp_path, capsys, receiver):
    day1, day2 = files(tmp_path)
    qc, store = config(tmp_path, receiver.url), tmp_path / "qc.sqlite"
    code, out, err = run(["ingest", day1, day2, "--store", store, "-c", qc], capsys)
    assert code == 0, err
    lines = out.splitlines()
    assert lines[0] == f"{day1}: 192 new value(s), 0 revised in 2 series; flags: 0 suspect, 0 fail (run 1)"
    assert lines[1] == f"{day2}: 192 new value(s), 0 revised in 2 series; flags: 0 suspect, 1 fail (run 2)"
    assert lines[2].startswith("  alarm OPEN 'temp fails' temp(A): 1 value(s) FAIL")
    assert lines[2].endswith(f"-> sent to webhook {receiver.url}")
    assert receiver.received[0].body["series"] == "temp(A)"
    code, out, _ = run(["ingest", day1, "--store", store, "-c", qc], capsys)
    assert code == 0 and out.strip() == f"{day1} was already judged (same content): skipped"
    code, out, _ = run(["alarms", "--store", store], capsys)
    assert code == 0 and "1 open alarm(s):" in out and "temp fails|temp(A)" in out
    code, out, _ = run(["alarms", "--store", store, "--log"], capsys)
    assert code == 0 and "OPEN" in out and f"webhook {receiver.url}: ok" in out


def test_a_changed_configuration_needs_rejudge(tmp_path, capsys, receiver):
    day1, day2 = files(tmp_path)
    store = tmp_path / "qc.sqlite"
    run(["ingest", day1, "--store", store, "-c", config(tmp_path, receiver.url)], capsys)
    changed = config(tmp_path, receiver.url, severity="suspect")
    code, out, err = run(["ingest", day2, "--store", store, "-c", changed], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "not the store's live configuration" in err and "--rejudge" in err
    code, out, err = run(["ingest", day2, "--store", store, "-c", changed, "--rejudge"], capsys)
    assert code == 0 and "1 suspect, 0 fail" in out and not receiver.received


def test_watch_once_takes_the_folder_and_a_bad_file_is_one_line(tmp_path, capsys, receiver):
    inbox = tmp_path / "in"
    inbox.mkdir()
    files(inbox)
    (inbox / "notes.txt").write_text("no data here\n", encoding="utf-8")
    qc, store = config(tmp_path, receiver.url), tmp_path / "qc.sqlite"
    code, out, err = run(["watch", inbox, "--store", store, "-c", qc, "--once", "--settle", "0"], capsys)
    assert code == 0
    assert out.count("new value(s)") == 2 and "alarm OPEN 'temp fails'" in out
    assert f"{inbox / 'notes.txt'}: error: " in err and len(err.strip().splitlines()) == 1
    code, out, err = run(["watch", tmp_path / "nowhere", "--store", store, "-c", qc, "--once"], capsys)
    assert code == 2 and "no such folder to watch" in err
    code, out, err = run(["watch", "sqlite:///x.db", "--store", store, "-c", qc, "--once"], capsys)
    assert code == 2 and "--table NAME --time-column NAME" in err
