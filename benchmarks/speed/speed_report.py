"""Markdown tables and the scaling plot from the results of ``run.py``."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

STD_SIZES = [1_000, 10_000, 100_000, 1_000_000, 10_000_000]
SLOPE_OK = 1.2  # n log n between 1e5 and 1e7 has a log-log slope of ~1.07


# ----------------------------------------------------------------------------- formatting

def _rec(results, name, n):
    if name not in results:
        return None
    return results[name]["runs"].get(n)


def _ok(rec) -> bool:
    return bool(rec) and rec.get("status") == "ok"


def fmt_s(t: float) -> str:
    if t < 1e-3:
        return f"{t * 1e6:.0f} µs"
    if t < 1:
        return f"{t * 1e3:.3g} ms"
    return f"{t:.3g} s"


def fmt_n(n: int) -> str:
    e = int(math.floor(math.log10(n) + 1e-9))
    if 10 ** e == n:
        return f"10^{e}"
    return f"{n / 10 ** e:g}·10^{e}"


def fmt_time(rec) -> str:
    if rec is None:
        return "—"
    st = rec.get("status")
    if st == "ok":
        mark = " ¹" if rec.get("policy") == "1 run" else ""
        return fmt_s(rec["median"]) + mark
    if st == "skipped":
        return f"~{fmt_s(rec['estimate'])} (extrapolated, not run)"
    if st == "timeout":
        return f"timeout ({rec.get('error', '')})"
    return "error: " + str(rec.get("error", ""))[:80].replace("|", "/")


def t_of(rec) -> float | None:
    if _ok(rec):
        return rec["median"]
    if rec and rec.get("status") == "skipped":
        return rec["estimate"]
    return None


def fmt_ratio(other, af) -> str:
    to, ta = t_of(other), t_of(af)
    if to is None or ta is None or ta <= 0:
        return "—"
    r = to / ta
    approx = "~" if not (_ok(other) and _ok(af)) else ""
    return f"{approx}×{r:.3g}" if r < 100 else f"{approx}×{r:,.0f}"


def fmt_mem(rec) -> str:
    if not _ok(rec) or rec.get("extra_rss") is None:
        return "—"
    mb = rec["extra_rss"] / 2**20
    ratio = rec["extra_rss"] / rec["input_bytes"] if rec["input_bytes"] else float("nan")
    return f"{mb:,.1f} MB ({ratio:.2g}×)"


def same_flags(a, b) -> str:
    if not (_ok(a) and _ok(b)):
        return "—"
    sa, sb = a["summary"], b["summary"]
    if "hash" not in sa or "hash" not in sb:
        return "—"
    if sa["hash"] == sb["hash"]:
        return f"yes ({sa['flagged']})"
    return f"no ({sa['flagged']} vs {sb['flagged']})"


def table(header: list[str], rows: list[list[str]]) -> str:
    out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def slope(results, name, min_n=1) -> float | None:
    pts = [(n, results[name]["runs"][n]["median"]) for n in STD_SIZES
           if n >= min_n and _ok(_rec(results, name, n))]
    if len(pts) < 2:
        return None
    x = np.log([p[0] for p in pts])
    y = np.log([p[1] for p in pts])
    return float(np.polyfit(x, y, 1)[0])


def sizes_of(results, name) -> list[int]:
    return sorted(results[name]["runs"]) if name in results else []


# ----------------------------------------------------------------------------- sections

def af_series(results) -> list[tuple[str, str]]:
    """The aquaflag series of the scaling curve, in run order, with their labels."""
    return [(name, r["spec"].get("label", name)) for name, r in results.items()
            if name.startswith(("af:", "afw:"))]


def sm_exact_fit(results):
    """Bytes ~ c n^2 for statsmodels' exact medcouple, from the largest measured n."""
    runs = [(n, r) for n, r in sorted(results.get("sm:medcouple_exact", {"runs": {}})["runs"].items())
            if _ok(r) and r.get("extra_rss")]
    if not runs:
        return None
    n, r = runs[-1]
    return r["extra_rss"] / n**2


def would_need(c, n) -> str:
    if c is None:
        return "not run (O(n²) memory)"
    return f"not run: would need ~{c * n * n / 2**30:,.0f} GB"


def section_seed(results, plan) -> str:
    rows = []
    c = sm_exact_fit(results)
    for m in ("zscore", "modified_zscore", "iqr"):
        for n in sizes_of(results, f"af:{m}"):
            if n not in STD_SIZES:
                continue
            a, s = _rec(results, f"af:{m}", n), _rec(results, f"seed:{m}", n)
            rows.append([m, fmt_n(n), fmt_time(a), fmt_time(s), fmt_ratio(s, a), same_flags(a, s),
                         fmt_mem(a), fmt_mem(s)])
    for n in sizes_of(results, "af:adjusted_boxplot"):
        a = _rec(results, "af:adjusted_boxplot", n)
        for label, name in (("adjusted_boxplot (seed: sm exact MC)", "seed:adjusted_boxplot/sm_exact"),
                            ("adjusted_boxplot (seed: sm fast MC)", "seed:adjusted_boxplot/sm_fast")):
            s = _rec(results, name, n)
            if s is None:
                if "exact" in name:
                    if n < 20_000:
                        continue
                    rows.append([label, fmt_n(n), fmt_time(a), would_need(c, n), "—", "—",
                                 fmt_mem(a), "—"])
                elif n in STD_SIZES:
                    rows.append([label, fmt_n(n), fmt_time(a),
                                 "not run (≈ sm fast medcouple, section 2, + quartiles)", "—", "—",
                                 fmt_mem(a), "—"])
                continue
            rows.append([label, fmt_n(n), fmt_time(a), fmt_time(s), fmt_ratio(s, a),
                         same_flags(a, s), fmt_mem(a), fmt_mem(s)])
    head = ["rule", "n", "aquaflag.detect", "seed (pandas)", "seed / aquaflag", "same flags? (count)",
            "aquaflag extra RSS (× input)", "seed extra RSS (× input)"]
    return table(head, rows)


def section_medcouple(results) -> str:
    rows = []
    c = sm_exact_fit(results)
    names = set(sizes_of(results, "af:medcouple"))
    for n in sorted(names):
        a = _rec(results, "af:medcouple", n)
        e = _rec(results, "sm:medcouple_exact", n)
        f = _rec(results, "sm:medcouple_fast", n)
        dv = []
        for other in (e, f):
            if _ok(a) and _ok(other):
                dv.append(f"{abs(a['summary']['value'] - other['summary']['value']):.1e}")
            else:
                dv.append("—")
        rows.append([fmt_n(n), fmt_time(a), fmt_time(e) if e else would_need(c, n), fmt_ratio(e, a),
                     fmt_time(f) if f else "—", fmt_ratio(f, a), fmt_mem(a), fmt_mem(e), fmt_mem(f),
                     " / ".join(dv)])
    head = ["n", "aquaflag", "statsmodels exact", "ratio", "statsmodels fast", "ratio",
            "aquaflag extra RSS (× input)", "sm exact extra RSS", "sm fast extra RSS",
            "|Δ MC| vs exact / fast"]
    return table(head, rows)


SAQC_PAIRS = [
    ("saqc:flagZScore", "af:zscore", "flagZScore(thresh=3)", "zscore"),
    ("saqc:flagZScore(window=96)", "afw:zscore", "flagZScore(window=96, thresh=3, min_periods=3)",
     "zscore(window=96)"),
    ("saqc:flagZScore(modified)", "af:modified_zscore", "flagZScore(method='modified', thresh=3.5/0.6745)",
     "modified_zscore"),
    ("saqc:flagZScore(modified, window=96)", "afw:modified_zscore",
     "flagZScore(method='modified', window=96, thresh=3.5/0.6745, min_periods=3)",
     "modified_zscore(window=96)"),
    ("saqc:flagRange", "af:gross_range", "flagRange(min=8, max=15)", "gross_range"),
    ("saqc:flagConstants", "af:flat_line", "flagConstants(window=10, thresh=0)", "flat_line"),
    ("saqc:flagByStray", None, "flagByStray()", "(no equivalent)"),
]


def section_saqc(results, info) -> str:
    if not info["available"].get("saqc"):
        return "SaQC is not installed in this environment (`pip install saqc`); section skipped."
    rows = []
    for sname, aname, slabel, alabel in SAQC_PAIRS:
        for n in sizes_of(results, sname):
            s = _rec(results, sname, n)
            a = _rec(results, aname, n) if aname and aname in results else None
            if aname and aname not in results:
                alab, at = f"{alabel}: not registered", "—"
            else:
                alab, at = alabel, fmt_time(a)
            rows.append([slabel, fmt_n(n), fmt_time(s), alab, at, fmt_ratio(s, a),
                         same_flags(a, s), fmt_mem(s), fmt_mem(a)])
    head = ["SaQC call", "n", "SaQC", "aquaflag equivalent", "aquaflag", "SaQC / aquaflag",
            "same flags? (count)", "SaQC extra RSS", "aquaflag extra RSS"]
    return table(head, rows)


def section_hampel(results, info) -> str:
    if not info["available"].get("hampel"):
        return "The `hampel` package is not installed (`pip install hampel`); section skipped."
    rows = []
    has_af_hampel = "af:hampel" in results
    for n in sizes_of(results, "hampel:hampel"):
        h = _rec(results, "hampel:hampel", n)
        rr = _rec(results, "af:rolling_robust", n)
        mz = _rec(results, "afw:modified_zscore", n)
        row = [fmt_n(n), fmt_time(h), fmt_time(rr), fmt_ratio(h, rr), fmt_time(mz), fmt_ratio(h, mz)]
        if has_af_hampel:
            ah = _rec(results, "af:hampel", n)
            row += [fmt_time(ah), fmt_ratio(h, ah)]
        row += [fmt_mem(h), fmt_mem(rr), fmt_mem(mz)]
        rows.append(row)
    head = ["n", "hampel package", "aquaflag rolling_robust", "ratio",
            "aquaflag modified_zscore(window=96)", "ratio"]
    if has_af_hampel:
        head += ["aquaflag hampel method", "ratio"]
    head += ["hampel extra RSS", "rolling_robust extra RSS", "modified_zscore(w) extra RSS"]
    return table(head, rows)


def section_pandas(results, info) -> str:
    rows = []
    apply_runs = {n: r for n, r in results["pd:rolling_median+apply_mad"]["runs"].items() if _ok(r)}
    big = max(apply_runs) if apply_runs else None
    for n in sizes_of(results, "af:rolling_robust"):
        rr = _rec(results, "af:rolling_robust", n)
        pm = _rec(results, "pd:rolling_median", n)
        pa = _rec(results, "pd:rolling_median+apply_mad", n)
        if pa is None and big is not None and n > big:
            est = apply_runs[big]["median"] * n / big
            pa = {"status": "skipped", "estimate": est}
            pa_txt = f"~{fmt_s(est)} (extrapolated linearly from 10^{int(math.log10(big))}, not run)"
        else:
            pa_txt = fmt_time(pa)
        bn = _rec(results, "bn:move_median", n) if "bn:move_median" in results else None
        rows.append([fmt_n(n), fmt_time(rr), fmt_time(pm), fmt_ratio(pm, rr), pa_txt, fmt_ratio(pa, rr),
                     fmt_time(bn), fmt_ratio(bn, rr), fmt_mem(rr), fmt_mem(pm), fmt_mem(pa)])
    head = ["n", "aquaflag rolling_robust (median, MAD, q1, q3)", "pandas rolling median", "ratio",
            "pandas median + apply(MAD)", "ratio", "bottleneck move_median", "ratio",
            "rolling_robust extra RSS", "pandas median extra RSS", "pandas apply extra RSS"]
    return table(head, rows)


def frame_figures(results, plan):
    rows, cols = plan.frame
    a = _rec(results, "frame:aquaflag_all", rows)
    s3 = _rec(results, "frame:seed_3rules", rows)
    sf = _rec(results, "frame:seed_adjusted_sm_fast", rows)
    s4 = _rec(results, "frame:seed_4rules_aquaflag_mc", rows)
    k = plan.frame_fast_cols
    est_adj = sf["median"] * cols / k if _ok(sf) else None
    total = s3["median"] + est_adj if (_ok(s3) and est_adj is not None) else None
    return a, s3, sf, s4, est_adj, total


def section_frame(results, plan) -> str:
    rows_n, cols = plan.frame
    a, s3, sf, s4, est_adj, total = frame_figures(results, plan)
    c = sm_exact_fit(results)
    k = plan.frame_fast_cols
    ta = t_of(a)
    def r(t):
        return f"~×{t / ta:.3g}" if (t is not None and ta) else "—"
    a3 = _rec(results, "frame:aquaflag_3rules", rows_n)
    lines = [
        ["aquaflag.detect(frame, method='all')", fmt_time(a), "×1", fmt_mem(a)],
        ["the same, one `detect(frame[[column]], method='all')` per column (one thread)",
         fmt_time(_rec(results, "frame:aquaflag_all_per_column", rows_n)),
         fmt_ratio(_rec(results, "frame:aquaflag_all_per_column", rows_n), a),
         fmt_mem(_rec(results, "frame:aquaflag_all_per_column", rows_n))],
        ["aquaflag.detect(frame, method=['zscore', 'modified_zscore', 'iqr'])", fmt_time(a3),
         fmt_ratio(a3, a), fmt_mem(a3)],
        ["seed loop: zscore, modified Z, quartiles (all columns)", fmt_time(s3),
         fmt_ratio(s3, a) + f" (vs the three aquaflag rules: {fmt_ratio(s3, a3)})", fmt_mem(s3)],
        [f"seed loop: adjusted boxplot, statsmodels fast MC — measured on {k} columns", fmt_time(sf),
         "—", fmt_mem(sf)],
        [f"… extrapolated to {cols} columns (× {cols}/{k})", f"~{fmt_s(est_adj)}" if est_adj else "—",
         r(est_adj), "—"],
        ["seed loop, four rules (sum of the two rows above)", f"~{fmt_s(total)}" if total else "—",
         r(total), "—"],
        ["seed loop, four rules, adjusted boxplot with statsmodels' exact MC (as the seed did)",
         would_need(c, rows_n) + " per column", "—", "—"],
        ["seed loop, four rules, adjusted boxplot with aquaflag.stats.medcouple (reference)",
         fmt_time(s4), fmt_ratio(s4, a), fmt_mem(s4)],
    ]
    flags = same_flags(a, s4)
    txt = table(["what (frame of %d columns × %s rows, %.3g MB of float64)" % (
        cols, fmt_n(rows_n), cols * rows_n * 8 / 2**20), "time", "vs aquaflag", "extra RSS (× input)"],
        lines)
    return txt + f"\n\nFlags of aquaflag vs the seed's four expressions (with aquaflag's exact medcouple): " \
                 f"identical? {flags}."


def section_scaling(results) -> str:
    rows = []
    for name, label in af_series(results):
        if name not in results:
            continue
        cells = [fmt_time(_rec(results, name, n)) for n in STD_SIZES]
        s_all, s_big = slope(results, name), slope(results, name, 100_000)
        rows.append([label] + cells + [f"{s_all:.2f}" if s_all is not None else "—",
                                       f"{s_big:.2f}" if s_big is not None else "—"])
    head = ["aquaflag"] + [fmt_n(n) for n in STD_SIZES] + ["slope (all n)", "slope (n ≥ 10^5)"]
    mem_rows = []
    for name, label in af_series(results):
        if name not in results:
            continue
        mem_rows.append([label] + [fmt_mem(_rec(results, name, n)) for n in STD_SIZES[2:]])
    mem = table(["aquaflag: extra peak RSS (× input)"] + [fmt_n(n) for n in STD_SIZES[2:]], mem_rows)
    return table(head, rows) + "\n\n" + mem


def section_compile(extras) -> str:
    comp = extras["compile"]
    rows = []
    for key, label in (("cached", "numba cache as installed (`cache=True`, `__pycache__`)"),
                       ("cold", "empty `NUMBA_CACHE_DIR` (first run ever / read-only install)")):
        r = comp.get(key, {})
        if r.get("status") != "ok":
            rows.append([label, "error: " + str(r.get("error")), "—", "—", "—"])
            continue
        row = [label, fmt_s(r["import"]), fmt_s(r["first"]), fmt_s(r["second"]),
               fmt_s(max(0.0, r["first"] - min(r["second"], r["third"])))]
        if "mc_first" in r:  # medcouple, called after rolling_robust in the same process
            row += [fmt_s(r["mc_first"]), fmt_s(r["mc_second"]),
                    fmt_s(max(0.0, r["mc_first"] - min(r["mc_second"], r["mc_third"])))]
        rows.append(row)
    head = ["fresh process", "import aquaflag.rolling", "1st rolling_robust call", "2nd call",
            "first-call overhead"]
    if any(len(r) > 5 for r in rows):
        head += ["1st medcouple call", "2nd call", "first-call overhead"]
        rows = [r + ["—"] * (len(head) - len(r)) for r in rows]
    t = table(head, rows)
    return t + (f"\n\n(n = {fmt_n(comp['n'])} points; rolling_robust with window 96, then "
                "stats.medcouple in the same process. The first call of each pays for loading "
                "numba and its compiled kernels from the cache, or compiling them when the "
                "cache is empty.)")


def section_cli(extras) -> str:
    cli = extras["cli"]
    lines = []
    imps = [r for r in cli.get("imports", []) if r.get("status") == "ok"]
    if imps:
        lines.append("`python -c 'import aquaflag'` (fresh process, import only): " +
                     ", ".join(fmt_s(r["import"]) for r in imps) +
                     f"; numba imported: {imps[0]['numba']}; matplotlib imported: {imps[0]['matplotlib']}.")
    if cli.get("error"):
        lines.append(f"CLI cold start not measured: {cli['error']}.")
    else:
        lines.append(f"`{cli.get('command')}` (fresh process, wall time): " +
                     ", ".join(f"run {i + 1}: {fmt_s(r['seconds'])} (exit {r['rc']})"
                               for i, r in enumerate(cli["runs"])) + ".")
        for r in cli["runs"]:
            if r["rc"] != 0:
                lines.append(f"stderr: `{r['stderr']}`")
    return "\n\n".join(lines)


def section_profiles(extras) -> str:
    profs = extras.get("profiles") or {}
    if not profs:
        return "No target missed where a profile applies (or the size was not run): no profile."
    intro = ("Profiled when the frame target is missed, or met only thanks to the engine's "
             "threads (the one-thread time is over 2 s), and when medcouple misses 0.5 s at 10^6.")
    parts = []
    for key, title in (("frame", "`aquaflag.detect(frame, method='all')`"),
                       ("medcouple", "`aquaflag.stats.medcouple` at n = 10^6")):
        p = profs.get(key)
        if not p:
            continue
        if p.get("status") != "ok":
            parts.append(f"{title}: profile failed: {p.get('error')}")
            continue
        rows = [[r["func"].replace("|", "/"), r["ncalls"], f"{r['tottime']:.3f}", f"{r['cumtime']:.3f}"]
                for r in p["by_cumtime"]]
        rows2 = [[r["func"].replace("|", "/"), r["ncalls"], f"{r['tottime']:.3f}", f"{r['cumtime']:.3f}"]
                 for r in p["by_tottime"]]
        how = ("the same work as `detect(frame, method='all')`, one column at a time so that "
               "cProfile (which sees only the calling thread) sees all of it"
               if key == "frame" else "one call")
        parts.append(f"**{title}** ({how}; under cProfile, {p['total']:.2f} s of profiled time)\n\n"
                     "aquaflag functions by cumulative time:\n\n" +
                     table(["function", "calls", "own s", "cumulative s"], rows) +
                     "\n\nall functions by own time:\n\n" +
                     table(["function", "calls", "own s", "cumulative s"], rows2))
    return "\n\n".join([intro] + parts)


# ----------------------------------------------------------------------------- targets

def targets(results, plan) -> str:
    rows = []
    mc = _rec(results, "af:medcouple", 1_000_000)
    if _ok(mc):
        rows.append(["medcouple, n = 10^6, < 0.5 s", fmt_s(mc["median"]),
                     "**met**" if mc["median"] < 0.5 else "**missed**"])
    else:
        rows.append(["medcouple, n = 10^6, < 0.5 s", "not run in this mode", "—"])
    a = _rec(results, "frame:aquaflag_all", plan.frame[0])
    label = f"four seed methods on {plan.frame[1]} × {fmt_n(plan.frame[0])}"
    if plan.frame == (100_000, 100):
        label += ", < 2 s"
        rows.append([label, fmt_time(a), ("**met**" if a["median"] < 2 else "**missed**") if _ok(a) else "—"])
    else:
        rows.append([label + " (quick mode: target applies to 100 × 10^5)", fmt_time(a), "—"])
    slopes = []
    for name, label in af_series(results):
        sl = slope(results, name, 100_000)
        if sl is not None:
            slopes.append((sl, label))
    if slopes:
        slopes.sort()
        bad = [f"{lab} {sl:.2f}" for sl, lab in slopes if sl > SLOPE_OK]
        measured = (f"{len(slopes)} aquaflag series: slopes {slopes[0][0]:.2f} ({slopes[0][1]}) to "
                    f"{slopes[-1][0]:.2f} ({slopes[-1][1]})")
        verdict = "**met**" if not bad else "**missed** for " + "; ".join(bad)
    else:
        measured, verdict = "not enough sizes in this mode", "—"
    rows.append([f"linear / n log n scaling (log-log slope over n ≥ 10^5 ≤ {SLOPE_OK})", measured, verdict])
    mems = []
    big_frame = plan.frame[0] * plan.frame[1] >= 1_000_000
    for name, label in af_series(results):
        for n in (1_000_000, 10_000_000):
            r = _rec(results, name, n)
            if _ok(r) and r.get("extra_rss") is not None:
                mems.append((r["extra_rss"] / r["input_bytes"], f"{label} @ {fmt_n(n)}"))
    fr = _rec(results, "frame:aquaflag_all", plan.frame[0])
    frame_txt = ""
    if big_frame and _ok(fr) and fr.get("extra_rss") is not None:
        frame_txt = f"; detect(frame, 'all'): {fr['extra_rss'] / fr['input_bytes']:.1f}×"
        mems.append((fr["extra_rss"] / fr["input_bytes"], "detect(frame, 'all')"))
    if mems:
        mems.sort()
        over = [m for m in mems if m[0] >= 3]
        series_mems = [m for m in mems if m[1] != "detect(frame, 'all')"]
        measured = (f"{len(series_mems)} aquaflag cases at n ≥ 10^6: {series_mems[0][0]:.1f}× "
                    f"({series_mems[0][1]}) to {series_mems[-1][0]:.1f}× ({series_mems[-1][1]})"
                    if series_mems else "") + frame_txt
        verdict = ("**met**" if not over else
                   f"**missed** in {len(over)} of {len(mems)} cases" +
                   (f"; met by: {', '.join(m[1] for m in mems if m[0] < 3)}" if len(over) < len(mems) else
                    " (all)"))
    else:
        measured, verdict = "not measured at n ≥ 10^6 in this mode", "—"
    rows.append(["peak memory < 3 × input (extra RSS; n ≥ 10^6 and the 100 × 10^5 frame)", measured, verdict])
    return table(["target", "measured", "verdict"], rows)


# ----------------------------------------------------------------------------- plot

def plot(results, png: Path) -> None:
    from matplotlib.figure import Figure

    import matplotlib

    fig = Figure(figsize=(14, 8), layout="constrained")
    ax1, ax2 = fig.subplots(1, 2)
    series = [(name, label) for name, label in af_series(results)
              if sum(_ok(_rec(results, name, n)) for n in STD_SIZES) >= 2]
    colors = matplotlib.colormaps["tab20"].resampled(max(len(series), 2))
    markers = "osD^v<>ph*XP"
    for i, (name, label) in enumerate(series):
        pts = [(n, results[name]["runs"][n]["median"]) for n in STD_SIZES if _ok(_rec(results, name, n))]
        s = slope(results, name, 100_000) or slope(results, name)
        ls = "--" if name.startswith("afw") else "-"
        ax1.loglog(*zip(*pts), ls, marker=markers[i % len(markers)], color=colors(i), ms=4,
                   label=f"{label} (slope {s:.2f})")
    xs = np.array([1e3, 1e7])
    ax1.loglog(xs, 1e-3 * xs / 1e3, ":", color="grey", label="slope 1 (reference)")
    ax1.set_xlabel("n (points)")
    ax1.set_ylabel("time per call (s)")
    ax1.set_title("aquaflag: time vs n")
    ax1.grid(True, which="both", alpha=0.3)
    ax1.legend(fontsize=7, ncol=2, loc="upper center", bbox_to_anchor=(0.5, -0.09))
    for name, label, style in [
        ("af:medcouple", "aquaflag medcouple", "-o"),
        ("sm:medcouple_exact", "statsmodels medcouple exact", "--s"),
        ("sm:medcouple_fast", "statsmodels medcouple fast", "--^"),
        ("af:rolling_robust", "aquaflag rolling_robust (w 96)", "-D"),
        ("hampel:hampel", "hampel package (w 97)", ":v"),
        ("pd:rolling_median", "pandas rolling median", ":x"),
        ("pd:rolling_median+apply_mad", "pandas median + apply(MAD)", ":+"),
        ("bn:move_median", "bottleneck move_median", ":*"),
    ]:
        if name not in results:
            continue
        pts = [(n, r["median"]) for n, r in sorted(results[name]["runs"].items()) if _ok(r)]
        if pts:
            ax2.loglog(*zip(*pts), style, label=label)
    ax2.set_xlabel("n (points)")
    ax2.set_ylabel("time per call (s)")
    ax2.set_title("side by side: medcouple and rolling median/MAD")
    ax2.grid(True, which="both", alpha=0.3)
    ax2.legend(fontsize=7, ncol=2, loc="upper center", bbox_to_anchor=(0.5, -0.09))
    fig.savefig(png, dpi=110)


# ----------------------------------------------------------------------------- document

NOTES_SEED = """\
Seed code: per column, `(s - s.mean()) / s.std()`, `0.6745 * (s - med) / MAD`,
`s.quantile(0.25/0.75)`, and the adjusted boxplot with
`statsmodels.stats.stattools.medcouple(s.dropna(), use_fast=False)` (what the
seed used; O(n²) memory, so run only up to 2·10^4) or with statsmodels' default
fast path (documented as an approximation). "Same flags" compares the flagged
positions (hash of their indices) of the seed expression and of aquaflag with
default parameters."""

NOTES_SAQC = """\
Semantic differences (timings are end to end: `SaQC(frame).flagX("x", ...)`
and reading back `qc.flags["x"]`, vs `aquaflag.detect(series, method=...)`):

* `flagZScore(method="modified")` divides by the raw MAD (no 0.6745 factor),
  so `thresh=3.5/0.6745` is passed to express the seed's rule; SaQC's
  `min_periods` defaults to 0 (aquaflag: 3 values).
* SaQC's rolling modified Z-score is not a true rolling MAD: it takes the
  rolling median of |x − rolling median(x)| (each deviation from its *own*
  window's median), whereas aquaflag computes, per window, the median of the
  deviations from that window's median. Flags differ slightly.
* SaQC's rolling z-score uses pandas' rolling mean/std; aquaflag uses
  cumulative sums (O(n)); edge windows and `min_periods` conventions differ.
* `flagRange`, `flagConstants` are compared with aquaflag's `gross_range` and
  `flat_line` only if those methods are registered (sensor methods are being
  added in another module); `flagByStray` (STRAY: k-nearest-neighbour gaps,
  an unsupervised multivariate scorer) has no aquaflag counterpart and is
  timed for information only. `flagMAD` no longer exists in SaQC 2.x
  (replaced by `flagZScore(method="modified")`)."""

NOTES_HAMPEL = """\
The `hampel` package (Cython) calls `np.median` twice per point from a
Python-level loop, in float32, with `window_size=96` meaning a centred
2·48 + 1 = 97-point window; the first and last 48 points are never evaluated
(their medians/MAD are left as uninitialised memory), and a window holding a
NaN gives a NaN median, so nothing near a missing value is flagged (62 % of
97-point windows hold one of the 1 % NaN here). aquaflag's `rolling_robust`
returns count, median, MAD, q1, q3 (and the mean absolute deviation where
MAD = 0) of every 96-point window, NaN ignored, exactly; `modified_zscore`
with `window=96, threshold=3` is the same decision as Hampel's
|x − med| > 3 · 1.4826 · MAD. Flag counts therefore differ by construction."""

NOTES_PANDAS = """\
`s.rolling(96, center=True, min_periods=1).median()`, and the same plus
`.apply(mad, raw=True)` with `mad(a) = median(|a - median(a)|)` over the
non-NaN values: the true rolling MAD, one Python call per window. The apply
variant is measured at small n only; larger n are extrapolated linearly (the
per-window cost is constant), and marked so. bottleneck's `move_median`
(trailing window, median only) is the fastest rolling median available; it
has no MAD."""


def _fingerprint(info) -> str:
    import hashlib

    start = info.get("source_start") or {}
    if not isinstance(start, dict):
        return str(start)
    return hashlib.sha1(repr(sorted(start.items())).encode()).hexdigest()[:12] if start else "?"


def _changed(info) -> list[str]:
    start, end = info.get("source_start") or {}, info.get("source_end") or {}
    if not (isinstance(start, dict) and isinstance(end, dict)):
        return [] if start == end else ["src/aquaflag"]
    return sorted(k for k in set(start) | set(end) if start.get(k) != end.get(k))


def render(results, extras, info, plan, png: Path) -> str:
    plot(results, png)
    changed = _changed(info)
    v = info["versions"]
    vers = ", ".join(f"{k} {v[k]}" for k in ("numpy", "pandas", "numba", "scipy", "statsmodels",
                                            "saqc", "hampel", "bottleneck", "matplotlib", "aquaflag")
                     if k in v and v[k])
    missing = [k for k in ("saqc", "hampel", "bottleneck") if not v.get(k)]
    seeds = ("zscore", "modified_zscore", "iqr", "adjusted_boxplot")
    others = [m for m in info["registered"] if m not in seeds]
    absent = [m for m in ("gross_range", "flat_line", "hampel") if m not in info["registered"]]
    parts = [
        "# Speed and scale: aquaflag side by side",
        "",
        f"Generated by `{info['command']}` on {info['date']} "
        f"({'QUICK mode: small sizes only' if plan.quick else 'full run'}; "
        f"{info['wall_s'] / 60:.1f} min wall).",
        "",
        "## Machine",
        "",
        table(["", ""], [
            ["CPU", f"{info['cpu']} — `nproc` = {info['nproc']}"],
            ["RAM", f"{info['ram_gib']:.1f} GiB" if info["ram_gib"] else "?"],
            ["Python", f"{info['python']} ({info['platform']})"],
            ["versions", vers],
            ["load average (1, 5, 15 min) at start / end",
             f"{', '.join(f'{x:.2f}' for x in info['load_start'])} / "
             f"{', '.join(f'{x:.2f}' for x in info['load_end'])}"],
            ["OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE", str(info["openblas_env"] or "not set (left as found)")],
            ["methods registered", ", ".join(info["registered"])],
            ["aquaflag source on the measured paths (sha1 of all)", _fingerprint(info)],
        ]),
        "",
        *([f"**Warning: aquaflag's source changed while this ran** ({', '.join(changed)}; others "
           "edit it at the same time): figures mix two versions of the code; run again for a "
           "consistent set.", ""] if changed else []),
        "The machine is shared (other jobs ran at the same time; see the load average): "
        "absolute times carry that noise, ratios from the same run less so.",
        "",
        "**Method.** Each case runs in a fresh child process on seeded synthetic data "
        "(`cases.make_values`: 5-minute series with a seasonal and daily cycle, gamma noise, 0.1 % "
        "spikes, flat runs, 1 % NaN). Time: `time.perf_counter`, median of ≥ 3 calls after a "
        "warm-up (calls of 3–30 s: median of 3 calls, warm-up on a slice of at most 100 000 points, which also loads numba's cached kernels; ¹ = over "
        "30 s, one call). Memory: peak RSS during the calls minus RSS just before them (after "
        "imports, input and warm-up): the child resets the kernel's RSS high-water mark "
        "(`echo 5 > /proc/self/clear_refs`) and reads it back as `VmHWM` in `/proc/self/status`. "
        "(`resource.getrusage(...).ru_maxrss` was not usable: a child's `ru_maxrss` includes the "
        "RSS of the parent at fork/exec, ~250 MB here, and `RUSAGE_CHILDREN` is a maximum over "
        "all children, not one per case; tracemalloc would miss numba's allocations.) "
        "\"× input\" divides by the input's float64 values (8 bytes per point, time index not "
        "counted). At n ≤ 10^4 RSS granularity (pages, allocator arenas) dominates such ratios; "
        "the memory target is judged at n ≥ 10^6. Ratios are *other tool / aquaflag*: above 1 "
        "means aquaflag is faster." + (
            " **Quick mode:** the cases of one family share a child process, so the memory "
            "figures here are not meaningful (a freed buffer is reused by the next case)."
            if plan.quick else ""),
        "",
        "## Targets",
        "",
        targets(results, plan),
        "",
        "## 1. The seed notebook's approach vs aquaflag, one series",
        "",
        NOTES_SEED,
        "",
        section_seed(results, plan),
        "",
        "## 2. Medcouple: statsmodels vs aquaflag.stats.medcouple",
        "",
        "statsmodels' exact path (`use_fast=False`) builds (n/2)² kernel matrices; its memory is "
        f"fitted as bytes ≈ c·n² from the largest measured n (c = "
        f"{sm_exact_fit(results) or float('nan'):.2f}) to say what larger n would need.",
        "",
        section_medcouple(results),
        "",
        "## 3. SaQC vs aquaflag",
        "",
        NOTES_SAQC,
        "",
        section_saqc(results, info),
        "",
        "## 4. The `hampel` package vs aquaflag's rolling median/MAD (window 96)",
        "",
        NOTES_HAMPEL,
        "",
        section_hampel(results, info),
        "",
        "## 5. pandas rolling median + rolling MAD vs `rolling_robust`",
        "",
        NOTES_PANDAS,
        "",
        section_pandas(results, info),
        "",
        f"## 6. A frame of {plan.frame[1]} columns × {fmt_n(plan.frame[0])} rows",
        "",
        section_frame(results, plan),
        "",
        "## 7. Scaling: aquaflag time vs n",
        "",
        "Slope = least-squares fit of log(time) on log(n); ≈ 1 is linear or n log n "
        "(n log n between 10^5 and 10^7 has slope ≈ 1.07). Fixed per-call costs flatten the "
        "small-n end, so the verdict uses n ≥ 10^5. Plot: "
        f"`{png.name}` (left: aquaflag; right: medcouple and rolling median/MAD side by side).",
        "",
        section_scaling(results),
        "",
        f"![scaling]({png.name})",
        "",
        "## 8. numba compile cost and CLI cold start",
        "",
        section_compile(extras),
        "",
        section_cli(extras),
        "",
        "## 9. Where the time goes (cProfile)",
        "",
        section_profiles(extras),
        "",
        "## Not covered",
        "",
        ("Other registered methods timed in the scaling curve: " + ", ".join(others) + "."
         if others else "No method besides the four seed methods was registered when this ran."),
        "",
        "Sensor methods missing when this ran (the harness picks them up once registered): " +
        (", ".join(absent) if absent else "none") + "." + (
            " Without an aquaflag `hampel` method, the hampel package faces `rolling_robust` and "
            "`modified_zscore(window=96, threshold=3)`." if "hampel" in absent else ""),
        "",
        ("Optional tools missing here: " + ", ".join(missing) + " (`pip install " + " ".join(missing) +
         "`)." if missing else "All optional tools (saqc, hampel, bottleneck) were installed."),
        "",
    ]
    return "\n".join(parts)
