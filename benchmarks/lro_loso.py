"""Leave-one-site-out on the Logan River Observatory files: `aquaflag tune` vs the baselines.

Run from the repository root::

    python benchmarks/lro_loso.py [--out benchmarks/results/lro_loso.md] [--data DIR]
        [--start PATH] [--folds 4] [--rounds 2] [--min-gain 0.003] [--objective both]
        [--consensus] [--only FILE] [--quick]

For each of the six LRO files in turn (the *held-out site*), the starting
configuration is tuned with :func:`aquaflag.tune.tune` on the labels of the
five other files, and the tuned configuration is run once on the held-out file
and scored against its labels. Nothing of the held-out file (values or labels)
is seen while tuning. The held-out scores, pooled over all six sites, are the
evidence; the expected F1 that ``tune`` writes (time-blocked cross-validation
on the five tuning files) is shown beside them to check that estimate.

The starting configuration (unless ``--start`` names a file) is built at run
time: the shipped ``sensor_15min`` template as it is now, with the variable
selections it chose by looking at all six files' labels widened again
(``WIDEN``: level shifts on conductivity too, the far-from-the-level modified
Z-score on conductivity and DO too), plus ``benchmarks/lro_tune/extra.toml``
(``offset_stretch``, ``noisy_stretch``, ``sonde_failure`` with default
parameters, and a ``[columns]`` table putting each file's variables on one
station, so that ``sonde_failure`` gets the sonde context). It is written
beside the results (``*_start.toml``).

Baselines on every held-out site: the four seed methods with default
parameters on the whole series; PyHydroQC's range + persistence rules with
PyHydroQC's own per-site, per-variable parameters (a baseline given each
held-out site's ranges); the starting configuration untuned; the shipped
``sensor_15min`` configuration (its choice of rules per variable was made
looking at all six files' labels: not a held-out figure).

Scoring (:mod:`aquaflag.metrics`): raw values ``X``; ``NULL`` and ``-9999``
missing and not counted; a point is labelled when ``X_qual`` is not null.
Headline: strict point-wise micro-F1 and pooled event F1 over temp, cond,
ph and do; PyHydroQC's own convention (events widened by one point each side,
a detected event overlapping a labelled one counts whole) beside it.

``--quick`` holds out BlackSmithFork2015 only, with 2 folds and 1 round (a
few minutes: a check that the script runs, not a result).

Data: Logan River Observatory (Utah State University) as published with
PyHydroQC (github.com/AmberSJones/pyhydroqc, BSD-3-Clause); Jones, Jones &
Horsburgh (2022), Environmental Modelling & Software 151, 105364.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

import aquaflag
from dataclasses import replace

from aquaflag.config import Config, load, parse, rules_to_toml, template_text
from aquaflag.datasets.lro import read_lro
from aquaflag.metrics import evaluation_table, pooled
from aquaflag.tune import tune
from lro_scoring import PYHYDROQC_PARAMS, pyhydroqc_rules  # noqa: E402  (the same baseline as the scoring benchmark)
from machine import describe  # noqa: E402  (benchmarks/machine.py)

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "lro"
EXTRA = REPO / "benchmarks" / "lro_tune" / "extra.toml"
#: Variable selections of the shipped default that were chosen looking at all six files'
#: labels, widened for the start of the search (rule label -> (new label, variables)).
WIDEN = {
    "calibration offset": ("calibration offset", ("conductivity", "ph", "do")),
    "pH far from the site's level": ("far from the site's level", ("conductivity", "ph", "do")),
}
SCORED = ("temp", "cond", "ph", "do")
TUNED_ON = SCORED + ("turb",)
SEEDS = ("zscore", "modified_zscore", "iqr", "adjusted_boxplot")
RULES = "pyhydroqc_rules"
TUNED = "tuned (held out)"
UNTUNED = "start config, untuned"
SHIPPED = "shipped sensor_15min"

def start_config() -> Config:
    """The shipped default, widened (``WIDEN``), plus ``extra.toml``'s rules and [columns]."""
    shipped = parse(template_text("sensor"), source="sensor_15min.toml")
    extra = load(EXTRA)
    rules = []
    for r in shipped.rules:
        if r.label in WIDEN:
            label, variables = WIDEN[r.label]
            r = replace(r, label=label, variables=variables)
        rules.append(r)
    rules += extra.rules
    text = ("# Starting configuration of benchmarks/lro_loso.py: the shipped sensor_15min rules "
            "(selections widened: " + ", ".join(WIDEN) + ") + benchmarks/lro_tune/extra.toml\n\n[columns]\n"
            + "".join(f"{c} = {{ variable = \"{m['variable']}\", station = \"{m['station']}\" }}\n"
                      for c, m in extra.mapping.items())
            + "\n" + rules_to_toml(rules))
    return parse(text, source="lro_loso start")


def site_of(stem: str) -> str:
    return stem.rstrip("0123456789")


def score_rows(file: str, method: str, masks: pd.DataFrame, labels: pd.DataFrame,
               values: pd.DataFrame) -> pd.DataFrame:
    cols = [c for c in SCORED if c in masks.columns]
    t = evaluation_table(masks[cols].astype(bool), labels[cols], evaluated=values[cols].notna(),
                         pooled_row=False)
    t.insert(0, "method", method)
    t.insert(0, "file", file)
    return t


def run(files: list[Path], start_cfg: Config, start_name: str, folds: int, only: str | None,
        tune_args: dict) -> tuple[pd.DataFrame, list[dict]]:
    loaded = {p.stem: read_lro(p) for p in files}
    shipped = parse(template_text("sensor"))
    rows, tuned_info = [], []
    for held in files:
        if only and held.stem != only:
            continue
        values, labels = loaded[held.stem]
        cols = [c for c in TUNED_ON if c in values.columns and c in labels.columns]
        train = [(loaded[p.stem][0][[c for c in TUNED_ON if c in loaded[p.stem][0].columns]],
                  loaded[p.stem][1]) for p in files if p.stem != held.stem]
        t0 = time.perf_counter()
        res = tune(train, start_cfg, folds=folds, **tune_args,
                   progress=lambda m, h=held.stem: print(f"  [{h}] {m}", file=sys.stderr, flush=True))
        seconds = time.perf_counter() - t0
        data = values[cols]
        tuned = aquaflag.run(data, Config(res.kept, mapping=res.mapping))
        rows.append(score_rows(held.stem, TUNED, tuned.mask, labels, values))
        rows.append(score_rows(held.stem, UNTUNED, aquaflag.run(data, start_cfg).mask, labels, values))
        rows.append(score_rows(held.stem, SHIPPED, aquaflag.run(data, shipped).mask, labels, values))
        seeds = aquaflag.detect(data, method=list(SEEDS))
        for m in SEEDS:
            rows.append(score_rows(held.stem, m, seeds.mask_of(m), labels, values))
        params = PYHYDROQC_PARAMS[site_of(held.stem)]
        rmask = pd.DataFrame({c: pyhydroqc_rules(values[c].to_numpy(), *params[c]) for c in SCORED},
                             index=values.index)
        rows.append(score_rows(held.stem, RULES, rmask, labels, values))
        tuned_info.append({"held_out": held.stem, "seconds": seconds, "cpu": res.info["cpu_seconds"],
                           "expected": res.expected,
                           "in_sample": res.in_sample, "changes": res.changes(),
                           "evaluations": res.info["evaluations"], "toml": res.toml(
                               source=start_name, labels="X_qual of the five other files",
                               data=", ".join(p.stem for p in files if p.stem != held.stem))})
        print(f"{held.stem}: tuned in {seconds:.0f} s", file=sys.stderr, flush=True)
    return pd.concat(rows, ignore_index=True), tuned_info


# --------------------------------------------------------------------- report
METHODS = (TUNED, UNTUNED, SHIPPED) + SEEDS + (RULES,)


def _fmt(x) -> str:
    if isinstance(x, (float, np.floating)):
        return "–" if np.isnan(x) else f"{x:.3f}"
    return str(x)


def md_table(df: pd.DataFrame) -> str:
    head = "| " + " | ".join(map(str, df.columns)) + " |"
    sep = "|" + "|".join("---:" if pd.api.types.is_numeric_dtype(df[c].dtype) else "---"
                         for c in df.columns) + "|"
    body = ["| " + " | ".join(_fmt(v) for v in row) + " |" for row in df.itertuples(index=False)]
    return "\n".join([head, sep, *body])


def summary(table: pd.DataFrame) -> pd.DataFrame:
    out = []
    for m in METHODS:
        g = table[table["method"] == m]
        if g.empty:
            continue
        p = pooled(g)
        out.append({"method": m, "point F1": p["f1"], "precision": p["precision"],
                    "recall": p["recall"], "event F1": p["event_f1"],
                    "PyHydroQC-convention F1": p["phq_f1"], "PyHydroQC event F1": p["phq_event_f1"],
                    "tp": p["tp"], "fp": p["fp"], "fn": p["fn"]})
    return pd.DataFrame(out)


def per_site(table: pd.DataFrame, what: str) -> pd.DataFrame:
    rows = []
    for f, g in table.groupby("file", sort=False):
        row = {"held-out file": f}
        for m in METHODS:
            gm = g[g["method"] == m]
            if not gm.empty:
                row[m] = pooled(gm)[what]
        rows.append(row)
    return pd.DataFrame(rows)


def report(table, info, command, total, settings) -> str:
    summ = summary(table)
    exp = pd.DataFrame([{"held-out file": i["held_out"],
                         "tune's expected point F1 (CV on the 5 others)": i["expected"]["point_f1"],
                         "± sd": i["expected"]["point_f1_sd"],
                         "held-out point F1": pooled(table[(table.file == i["held_out"]) & (table.method == TUNED)])["f1"],
                         "tune's expected event F1": i["expected"]["event_f1"],
                         "± sd ": i["expected"]["event_f1_sd"],
                         "held-out event F1": pooled(table[(table.file == i["held_out"]) & (table.method == TUNED)])["event_f1"],
                         "in-sample point F1 (5 files)": i["in_sample"]["point_f1"],
                         "tune wall (s)": i["seconds"], "tune CPU (s)": i["cpu"]} for i in info])
    lines = [
        "# Leave-one-site-out on the LRO files: `aquaflag tune` vs the baselines",
        "",
        "Generated by `benchmarks/lro_loso.py`; reproduce with",
        "",
        "```",
        command,
        "```",
        "",
        f"- Date: {_dt.datetime.now().astimezone().strftime('%Y-%m-%d %H:%M %Z')}",
        f"- Machine: {describe()}; numpy {np.__version__}, pandas {pd.__version__}, aquaflag {aquaflag.__version__}",
        f"- Total time: {total:.0f} s",
        f"- Code: {settings['code']}",
        f"- Start: {settings['start']}",
        f"- Tune: folds {settings['folds']}, " + ", ".join(f"{k} {v}" for k, v in settings['tune'].items()),
        "",
        "Each row of the per-site tables is one held-out file: the configuration was tuned on the",
        "labels of the five other files and run once on this one. Scores over temp, cond, ph, do",
        "(turbidity rules are tuned too but not scored here). Missing values are not counted.",
        "",
        "## Pooled over the six held-out sites",
        "",
        md_table(summ),
        "",
        "## Strict point-wise F1 per held-out site",
        "",
        md_table(per_site(table, "f1")),
        "",
        "## Event F1 per held-out site",
        "",
        md_table(per_site(table, "event_f1")),
        "",
        "## PyHydroQC-convention F1 per held-out site",
        "",
        md_table(per_site(table, "phq_f1")),
        "",
        "## Is tune's own estimate honest?",
        "",
        "tune's expected F1 comes from time-blocked cross-validation on the five tuning files;",
        "the held-out F1 is what the configuration then scored on the sixth site.",
        "",
        md_table(exp),
        "",
        "## Per held-out file and variable (every method)",
        "",
        md_table(table[["file", "method", "column", "labelled", "flagged", "tp", "fp", "fn", "f1",
                        "event_f1", "phq_f1"]]),
        "",
        "## Per held-out file and variable (tuned configuration)",
        "",
        md_table(table[table.method == TUNED][["file", "column", "labelled", "flagged", "tp", "fp", "fn",
                                               "f1", "event_f1", "phq_f1"]]),
        "",
        "## What tuning changed (per held-out site)",
        "",
    ]
    for i in info:
        lines += [f"### held out: {i['held_out']}", "", "```"] + i["changes"] + ["```", ""]
    return "\n".join(lines)


def git_code() -> str:
    import subprocess

    try:
        head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + (" (with uncommitted changes)" if dirty else "")


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", type=Path, default=REPO / "benchmarks" / "results" / "lro_loso.md")
    ap.add_argument("--data", type=Path, default=DATA)
    ap.add_argument("--start", type=Path, default=None,
                    help="a starting configuration file (default: the shipped template widened + extra.toml)")
    ap.add_argument("--folds", type=int, default=4)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--min-gain", type=float, default=0.003)
    ap.add_argument("--objective", choices=("both", "point", "event"), default="both")
    ap.add_argument("--consensus", action="store_true",
                    help="tune with consensus=True (a change must help more tuning files than it hurts)")
    ap.add_argument("--only", default=None, help="hold out only this file (e.g. Mendon2019)")
    ap.add_argument("--quick", action="store_true",
                    help="BlackSmithFork2015 held out only, 2 folds, 1 round: a check that it runs")
    args = ap.parse_args(argv)
    if args.quick:
        args.only, args.folds, args.rounds = args.only or "BlackSmithFork2015", 2, 1
    files = sorted(p for p in args.data.glob("*.csv") if p.stem[-4:].isdigit())
    if not files:
        print(f"no LRO files in {args.data}", file=sys.stderr)
        return 2
    if args.start is None:
        start_cfg, start_name = start_config(), "shipped sensor_15min (widened) + benchmarks/lro_tune/extra.toml"
    else:
        start_cfg, start_name = load(args.start), str(args.start)
    tune_args = {"rounds": args.rounds, "min_gain": args.min_gain, "objective": args.objective}
    if args.consensus:
        tune_args["consensus"] = True
    t0 = time.perf_counter()
    table, info = run(files, start_cfg, start_name, args.folds, args.only, tune_args)
    total = time.perf_counter() - t0
    command = "python benchmarks/lro_loso.py " + " ".join(argv if argv is not None else sys.argv[1:])
    settings = {"code": git_code(), "start": start_name, "folds": args.folds, "tune": tune_args}
    text = report(table, info, command.strip(), total, settings)
    out = args.out
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    table.to_csv(out.with_suffix(".csv"), index=False)
    tomls = out.parent / (out.stem + "_configs")
    tomls.mkdir(exist_ok=True)
    for i in info:
        (tomls / f"tuned_without_{i['held_out']}.toml").write_text(i["toml"], encoding="utf-8")
    start_text = start_cfg.text if start_cfg.text else rules_to_toml(start_cfg.rules)
    (out.parent / (out.stem + "_start.toml")).write_text(start_text, encoding="utf-8")
    print(text.split("## Strict point-wise")[0])
    return 0


if __name__ == "__main__":
    sys.exit(main())
