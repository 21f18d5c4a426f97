"""aquaflag.tune: search space from the registry, coordinate search, blocked CV, the TOML written."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import aquaflag
from aquaflag import registry
from aquaflag.config import parse
from aquaflag.errors import InputError, ParameterError
from aquaflag.metrics import evaluation_table
from aquaflag.tune import FACTORS, search_space, tune


def labelled(seed=0, days=40):
    """Hourly pH and DO with labelled spikes (pH) and a labelled DO offset; known answers."""
    rng = np.random.default_rng(seed)
    n = days * 24
    idx = pd.date_range("2021-01-01", periods=n, freq="h")
    t = np.arange(n)
    ph = 8 + 0.1 * np.sin(2 * np.pi * t / 24) + rng.normal(0, 0.01, n)
    do = 10 + 0.5 * np.sin(2 * np.pi * t / 24) + rng.normal(0, 0.03, n)
    lab_ph = np.zeros(n, dtype=bool)
    spikes = rng.choice(np.arange(10, n - 10), 12, replace=False)
    ph[spikes] += rng.choice([-1, 1], 12) * rng.uniform(0.3, 0.6, 12)
    lab_ph[spikes] = True
    lab_do = np.zeros(n, dtype=bool)
    a, b = n // 3, n // 3 + 8 * 24
    do[a:b] += 1.5
    lab_do[a:b] = True
    data = pd.DataFrame({"ph": ph, "do": do}, index=idx)
    labels = pd.DataFrame({"ph": lab_ph, "do": lab_do}, index=idx)
    return data, labels


START = """
[[rule]]
name = "far out"
method = "modified_zscore"
variable = ["ph", "do"]
threshold = 12.0

[[rule]]
name = "offset"
method = "offset_stretch"
variable = "do"
threshold = 30.0
"""


def test_search_space_comes_from_the_constraints():
    space = search_space("modified_zscore", {"threshold": 3.5})
    assert space["threshold"] == [3.5] + [float(f"{3.5 * f:.6g}") for f in FACTORS]
    spec = registry.get("offset_stretch")
    params = spec.validate({})
    space = search_space("offset_stretch", params)
    assert space["ends"] == ["first", "none", "all"]
    assert space["cycle"] == ["1D", "6h", "12h", "2D", "4D"]
    assert space["sharpness"][0] == 0.5 and all(0 < v <= 1 for v in space["sharpness"])
    assert "visits" not in space  # lists of dates are data, not searched
    for name, values in space.items():  # every candidate is valid for the method
        for v in values:
            spec.validate({name: v})
    assert search_space("gross_range", {"lower": 0.0}) == {}  # physics is not tuned
    assert "min_jump" not in search_space("level_shift", registry.get("level_shift").validate({}))


def test_tune_finds_better_parameters_and_keeps_its_promise():
    data, labels = labelled()
    cfg = parse(START)
    res = tune((data, labels), cfg, folds=3)
    labels_of = [r.label for r in res.rules]
    assert labels_of == ["far out (ph)", "far out (do)", "offset"]  # split per variable
    by = dict(zip(labels_of, res.rules))
    assert by["far out (ph)"].params["threshold"] < 12
    assert by["offset"].params["threshold"] < 30
    start_score = evaluation_table(aquaflag.run(data, cfg).mask, labels).iloc[-1]
    run = aquaflag.run(data, res.kept)
    got = evaluation_table(run.mask, labels).iloc[-1]
    assert got["f1"] > start_score["f1"] and got["f1"] > 0.9 and got["event_f1"] > 0.8
    # what tune reports in-sample is what the engine flags (whole data, events across blocks aside)
    assert res.in_sample["point_f1"] == pytest.approx(got["f1"], abs=1e-9)
    assert len(res.folds) == 3 and set(res.expected) == {"point_f1", "point_f1_sd", "event_f1",
                                                         "event_f1_sd"}
    assert 0 <= res.expected["point_f1"] <= 1 and res.expected["point_f1_sd"] >= 0


def test_toml_round_trip_and_comments():
    data, labels = labelled(seed=1)
    res = tune((data, labels), parse(START), folds=2)
    text = res.toml(source="start.toml", labels="labels.csv", data="data.csv")
    assert "expected on new data" in text and "point F1" in text and "event F1" in text
    assert "in-sample" in text and "+/-" in text
    cfg = parse(text)
    assert [r.label for r in cfg.rules] == [r.label for r in res.kept]
    for a, b_ in zip(cfg.rules, res.kept):
        assert a.method == b_.method and dict(a.params) == dict(b_.params)
    assert all("# tuned:" in block for block in text.split("[[rule]]")[:-1][1:] or [text])


def test_a_useless_rule_is_switched_off():
    data, labels = labelled(seed=2)
    cfg = parse(START + '\n[[rule]]\nname = "everything"\nmethod = "gross_range"\nvariable = "ph"\n'
                        'lower = 100.0\nupper = 200.0\n')
    res = tune((data, labels), cfg, folds=2)
    state = dict(zip([r.label for r in res.rules], res.enabled))
    assert state["everything"] is False
    text = res.toml()
    assert "enabled = false" in text
    assert "everything" not in [r.label for r in parse(text).rules]


def test_several_data_sets_and_counted_cells():
    d1, l1 = labelled(seed=3)
    d2, l2 = labelled(seed=4)
    known = pd.DataFrame(True, index=d2.index, columns=d2.columns)
    known.iloc[: len(d2) // 2] = False  # only the second half of site 2 was reviewed
    res = tune([(d1, l1), (d2, l2, known)], parse(START), folds=2)
    assert res.info["series"] == 4
    assert res.info["counted"] == d1.size + d2.size // 2


def test_tune_errors():
    data, labels = labelled()
    cfg = parse(START)
    with pytest.raises(ParameterError, match="objective of tune must be one of"):
        tune((data, labels), cfg, objective="accuracy")
    with pytest.raises(ParameterError, match="folds of tune must be"):
        tune((data, labels), cfg, folds=1)
    with pytest.raises(InputError, match="no labelled column"):
        tune((data, labels.rename(columns={"ph": "x", "do": "y"})), cfg)
    with pytest.raises(InputError, match="no labelled anomaly"):
        tune((data, labels & False), cfg)
    with pytest.raises(ParameterError, match="config must be"):
        tune((data, labels), 42)


def test_rules_without_labelled_series_are_kept_as_given():
    data, labels = labelled()
    cfg = parse(START + '\n[[rule]]\nname = "temp"\nmethod = "zscore"\nvariable = "temperature"\n')
    res = tune((data, labels), cfg, folds=2)
    rule = [r for r in res.rules if r.label == "temp"][0]
    assert rule.params["threshold"] == 3.0


def test_consensus_keeps_a_change_only_when_most_data_sets_gain():
    # Site 0 labels its 8-day DO offset; sites 1 and 2 have a 3-day offset their technicians
    # corrected without labelling. Pooled, finding offsets gains (192 labelled points against
    # 144 unlabelled); site by site it helps one and hurts two.
    sites = []
    for seed in (5, 6, 7):
        data, labels = labelled(seed=seed)
        if seed != 5:
            n = len(data)
            a = n // 3
            data["do"] = data["do"].to_numpy() - np.where((np.arange(n) >= a) & (np.arange(n) < a + 8 * 24),
                                                           1.5, 0.0)
            data.iloc[a:a + 72, data.columns.get_loc("do")] += 1.5
            labels["do"] = False
        sites.append((data, labels))
    cfg = parse(START)
    loose = tune(sites, cfg, folds=2)
    strict = tune(sites, cfg, folds=2, consensus=True)
    offset = {r.label: (r, on) for r, on in zip(loose.rules, loose.enabled)}["offset"]
    assert offset[1] and offset[0].params["threshold"] < 30  # pooled: offsets are looked for
    kept = {r.label: (r, on) for r, on in zip(strict.rules, strict.enabled)}["offset"]
    assert kept[0].params["threshold"] == 30  # two sites of three lose: not kept
    assert strict.info["consensus"] is True
    assert "consensus of the data sets" in strict.toml()
    with pytest.raises(ParameterError, match="consensus of tune must be True or False"):
        tune(sites[0], cfg, consensus="yes")
