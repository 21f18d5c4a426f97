"""Watch mode with real files written slowly, a killed and restarted watcher, and a real SQLite table."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

sa = pytest.importorskip("sqlalchemy")

from aquaflag.config import parse  # noqa: E402
from aquaflag.store import open_store  # noqa: E402
from aquaflag.watch import FolderSource, TableSource, Watcher  # noqa: E402

QC = """
[[rule]]
name = "range"
method = "gross_range"
severity = "fail"

[[rule]]
name = "fast change"
method = "rate_of_change"
threshold = 2.0
per = "1h"

[[rule]]
name = "spike"
method = "hampel"
window = "3h"
"""


def day(start: str, n: int = 96, seed: int = 0) -> pd.DataFrame:
    idx = pd.date_range(start, periods=n, freq="15min", name="time")
    rng = np.random.default_rng(seed)
    h = np.arange(n) / 4
    return pd.DataFrame({"temp(A)": np.round(15 + 2 * np.sin(2 * np.pi * h / 24) + rng.normal(0, 0.1, n), 2),
                         "do(A)": np.round(9 + rng.normal(0, 0.1, n), 2)}, index=idx)


def csv_text(frame: pd.DataFrame) -> str:
    return frame.to_csv(lineterminator="\n")


def write_slowly(path: Path, text: str, *, pause: float, mid_line_pause: float = 0.0) -> None:
    """Write ``text`` line by line, flushing each; optionally stop mid-line once for a while."""
    lines = text.splitlines(keepends=True)
    with open(path, "w", encoding="utf-8") as f:
        for i, line in enumerate(lines):
            if mid_line_pause and i == len(lines) // 2:
                f.write(line[:8])
                f.flush()
                time.sleep(mid_line_pause)
                f.write(line[8:])
            else:
                f.write(line)
            f.flush()
            time.sleep(pause)


def poll_until(watcher: Watcher, done, timeout: float = 15.0, every: float = 0.05) -> list:
    seen = []
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        seen += watcher.poll()
        if done(seen):
            return seen
        time.sleep(every)
    raise AssertionError(f"not done in {timeout} s: {seen}")


def test_a_file_written_slowly_is_taken_once_complete(tmp_path):
    inbox = tmp_path / "in"
    inbox.mkdir()
    store = open_store(tmp_path / "qc.sqlite")
    watcher = Watcher(store, parse(QC), FolderSource(inbox, settle=0.3), check_every=3600)
    frame = day("2021-06-01")
    writer = threading.Thread(target=write_slowly, args=(inbox / "logger.csv", csv_text(frame)),
                              kwargs={"pause": 0.01})  # ~1 s for 97 lines, never 0.3 s still
    writer.start()
    seen = poll_until(watcher, lambda s: any(p.ingested is not None for p in s))
    writer.join()
    assert [p.source for p in seen] == [str(inbox / "logger.csv")]
    assert seen[0].ingested.new_values == {"temp(A)": 96, "do(A)": 96}  # all of it, at once
    assert len(store.ingested_files()) == 1 and len(store.runs()) == 1
    assert watcher.poll() == []  # nothing more: the file is done


def test_a_writer_stopped_mid_line_is_waited_for(tmp_path):
    inbox = tmp_path / "in"
    inbox.mkdir()
    store = open_store(tmp_path / "qc.sqlite")
    watcher = Watcher(store, parse(QC), FolderSource(inbox, settle=0.2), check_every=3600)
    frame = day("2021-06-01")
    # half a line, then silence for 4 x settle: the file does not end with a line break, so it waits
    writer = threading.Thread(target=write_slowly, args=(inbox / "logger.csv", csv_text(frame)),
                              kwargs={"pause": 0.0, "mid_line_pause": 0.8})
    writer.start()
    seen = poll_until(watcher, lambda s: any(p.ingested is not None for p in s))
    writer.join()
    assert seen[0].ingested.new_values == {"temp(A)": 96, "do(A)": 96}
    assert len(store.runs()) == 1


def test_an_unreadable_file_is_reported_once_and_retried_when_it_changes(tmp_path):
    inbox = tmp_path / "in"
    inbox.mkdir()
    store = open_store(tmp_path / "qc.sqlite")
    watcher = Watcher(store, parse(QC), FolderSource(inbox, settle=0), check_every=3600)
    bad = inbox / "logger.csv"
    bad.write_text("not,a\nlogger,file\n", encoding="utf-8")
    (inbox / "upload.csv.part").write_text(csv_text(day("2021-06-02")), encoding="utf-8")  # being uploaded
    first = watcher.poll()
    assert [p.error is not None for p in first] == [True] and "tried again when it changes" in first[0].error
    assert watcher.poll() == []
    bad.write_text(csv_text(day("2021-06-01")), encoding="utf-8")
    os.utime(bad, (time.time() + 1, time.time() + 1))
    (again,) = watcher.poll(now=time.time() + 2)
    assert again.error is None and sum(again.ingested.new_values.values()) == 192


def test_the_same_content_under_another_name_is_skipped(tmp_path):
    inbox = tmp_path / "in"
    inbox.mkdir()
    store = open_store(tmp_path / "qc.sqlite")
    text = csv_text(day("2021-06-01"))
    (inbox / "a.csv").write_text(text, encoding="utf-8")
    watcher = Watcher(store, parse(QC), FolderSource(inbox, settle=0), check_every=3600)
    assert watcher.poll()[0].ingested.run is not None
    (inbox / "copy of a.csv").write_text(text, encoding="utf-8")
    (item,) = watcher.poll()
    assert item.skipped == "already judged (same content)" and len(store.runs()) == 1


def _watcher(folder: Path, store: Path, config: Path) -> subprocess.Popen:
    env = dict(os.environ, PYTHONUNBUFFERED="1")
    return subprocess.Popen([sys.executable, "-m", "aquaflag", "watch", str(folder), "--store", str(store),
                             "-c", str(config), "--settle", "0", "--poll", "0.05"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)


def _wait_for(proc: subprocess.Popen, text: str, timeout: float = 30.0) -> list[str]:
    lines = []
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        line = proc.stdout.readline()
        if not line:
            break
        lines.append(line.rstrip())
        if text in line:
            return lines
    raise AssertionError(f"no {text!r} from the watcher: {lines}")


def test_a_killed_watcher_judges_every_file_once_after_restart(tmp_path):
    inbox = tmp_path / "in"
    inbox.mkdir()
    config = tmp_path / "qc.toml"
    config.write_text(QC, encoding="utf-8")
    store_path = tmp_path / "qc.sqlite"
    days = [day(f"2021-06-{d:02d}", n=96 * 4, seed=d) for d in range(1, 25, 4)]  # 6 files of 4 days
    for i, frame in enumerate(days[:-1]):
        (inbox / f"logger_{i}.csv").write_text(csv_text(frame), encoding="utf-8")
    # first watcher: killed (SIGKILL, no clean-up) just after it judged one file, most likely while it
    # judges the next; the last file arrives only after the kill, so at least one is left for the restart
    proc = _watcher(inbox, store_path, config)
    _wait_for(proc, "new value")
    time.sleep(0.15)
    proc.kill()
    proc.wait(timeout=10)
    last = len(days) - 1
    (inbox / f"logger_{last}.csv").write_text(csv_text(days[last]), encoding="utf-8")
    store = open_store(store_path)
    judged_before = len(store.ingested_files())
    assert 1 <= judged_before < len(days)
    # second watcher: takes up the rest, then stops on SIGTERM (exit 0)
    proc = _watcher(inbox, store_path, config)
    lines = []
    while len(store.ingested_files()) < len(days):
        lines += _wait_for(proc, "logger_")
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 0 and "stopped (SIGTERM)" in out
    files = store.ingested_files()
    assert sorted(files["source"]) == sorted(str(inbox / f"logger_{i}.csv") for i in range(len(days)))
    assert files["fingerprint"].is_unique
    assert len(store.runs()) == len(days)  # each file judged exactly once: no run without its file
    assert sum("already judged" in line for line in lines) >= judged_before
    values = store.values("temp(A)")
    assert len(values) == sum(len(f) for f in days)


def test_sigint_stops_the_watcher_with_130(tmp_path):
    inbox = tmp_path / "in"
    inbox.mkdir()
    config = tmp_path / "qc.toml"
    config.write_text(QC, encoding="utf-8")
    proc = _watcher(inbox, tmp_path / "qc.sqlite", config)
    _wait_for(proc, "watching")
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=20)
    assert proc.returncode == 130 and "interrupted" in out


def _table(path: Path, frame: pd.DataFrame, *, append: bool = False) -> str:
    url = f"sqlite:///{path}"
    engine = sa.create_engine(url)
    frame.rename(columns={"temp(A)": "temp_A", "do(A)": "do_A"}).reset_index().to_sql(
        "readings", engine, if_exists="append" if append else "replace", index=False)
    engine.dispose()
    return url


def test_a_table_is_read_in_order_once_across_restarts(tmp_path):
    frame = day("2021-06-01", n=200)
    url = _table(tmp_path / "logger.db", frame.iloc[:150])
    store = open_store(tmp_path / "qc.sqlite")
    source = TableSource(url, "readings", "time", batch_rows=64)
    assert source.columns == ["temp_A", "do_A"]
    watcher = Watcher(store, parse(QC), source, check_every=3600)
    first = watcher.poll()
    assert [p.error for p in first] == [None, None, None]  # 64-row batches (the last time of a full one waits)
    assert len(store.values("temp_A")) == 150 and len(store.runs()) == 3
    assert watcher.poll() == []
    _table(tmp_path / "logger.db", frame.iloc[150:], append=True)
    # a restarted watcher reads only the rows newer than what the store holds
    watcher = Watcher(store, parse(QC), TableSource(url, "readings", "time", batch_rows=64), check_every=3600)
    (item,) = watcher.poll()
    assert item.ingested.new_values == {"temp_A": 50, "do_A": 50}
    assert len(store.values("temp_A")) == 200 and len(store.runs()) == 4
    np.testing.assert_array_equal(store.values("do_A").to_numpy(), frame["do(A)"].to_numpy())


def test_table_errors_name_the_table_and_column(tmp_path):
    from aquaflag.errors import InputError

    url = _table(tmp_path / "logger.db", day("2021-06-01", n=4))
    with pytest.raises(InputError, match="no table 'nope'"):
        TableSource(url, "nope", "time")
    with pytest.raises(InputError, match="has no column 'when'; columns: time, temp_A, do_A"):
        TableSource(url, "readings", "when")
