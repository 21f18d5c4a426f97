"""The shipped weekly configuration and the `init` starters work on real and demo data."""

from __future__ import annotations

import pandas as pd
import pytest

import aquaflag
from aquaflag.cli import main
from aquaflag.config import load, parse, starter
from aquaflag.datasets import demo, demo_truth, sensor_demo

from conftest import REPO, shared_file

WEEKLY = REPO / "src" / "aquaflag" / "templates" / "weekly_reservoir.toml"


def test_weekly_config_finds_every_injected_demo_anomaly():
    res = aquaflag.run(demo(), WEEKLY)
    truth = demo_truth()
    found = [bool(res.mask.at[t, c]) for c, t in zip(truth["column"], truth["time"])]
    assert all(found), truth[[not f for f in found]]
    # gross errors are FAIL, the rest SUSPECT
    flags = res.flags
    negative = truth[truth["kind"] == "negative"].iloc[0]
    assert flags.at[negative["time"], negative["column"]] == 4


def test_weekly_config_on_daecheong_via_cli(daecheong_csv, tmp_path, capsys):
    code = main(["run", "-c", str(WEEKLY), str(daecheong_csv), "--out", str(tmp_path), "--no-plots", "-q"])
    assert code == 0, capsys.readouterr().err
    flags = pd.read_csv(tmp_path / "flags.csv", encoding="utf-8-sig", index_col=0)
    assert flags.shape == (411, 12)
    prov = pd.read_csv(tmp_path / "provenance.csv", encoding="utf-8-sig")
    assert set(prov["rule"]) <= {r.label for r in load(WEEKLY).rules}
    assert (prov["flag"].isin([3, 4])).all()
    side = pd.read_csv(tmp_path / "qc_data.csv", encoding="utf-8-sig", index_col=0)
    assert list(side.columns[:3]) == ["Water Temperature(Mun-Ui)", "Water Temperature(Mun-Ui)_flag",
                                      "Water Temperature(Mun-Ui)_clean"]
    # the written config reproduces the run
    again = aquaflag.run(aquaflag.read(daecheong_csv), tmp_path / "config.toml")
    pd.testing.assert_frame_equal(again.flags, aquaflag.run(aquaflag.read(daecheong_csv), WEEKLY).flags)


@pytest.mark.parametrize("make, kind", [(demo, "weekly"), (lambda: sensor_demo(days=30), "sensor")])
def test_starter_config_is_valid_and_runs(make, kind):
    data = make()
    text = starter(data, source="x.csv")
    assert f"-> {kind} template" in text
    rules = parse(text)
    res = aquaflag.run(data, rules)
    assert res.flags.shape == data.shape


def test_init_command_writes_a_starter(daecheong_csv, tmp_path, capsys):
    out = tmp_path / "qc.toml"
    assert main(["init", str(daecheong_csv), "-o", str(out)]) == 0
    assert "Water Temperature(Mun-Ui): temperature (°C), station Mun-Ui" in out.read_text(encoding="utf-8")
    assert "stations disagree" in out.read_text(encoding="utf-8")
    assert main(["init", str(daecheong_csv), "-o", str(out)]) == 2  # no silent overwrite
    assert "exists" in capsys.readouterr().err


def test_starter_on_an_lro_sensor_file(tmp_path):
    from aquaflag.datasets.lro import read_lro

    values, _ = read_lro(shared_file("lro", "Mendon2019.csv"))
    res = aquaflag.run(values, parse(starter(values)))
    assert res.flags.shape == values.shape
