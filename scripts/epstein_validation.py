#!/usr/bin/env python3
"""Regenerates every number in docs/validation.md from the peacesim CLI.

Usage: python3 scripts/epstein_validation.py [--bin target/release/peacesim] [--seeds 20]
Build first: cargo build --release -p peacesim-cli
Standard library only; runs each scenario through `peacesim run` into a temporary directory.
"""
import argparse
import csv
import json
import math
import statistics
import subprocess
import tempfile
from pathlib import Path


def run(binary, scenario, seed, ticks, out, sets=()):
    args = [binary, "run", scenario, "--seed", str(seed), "--ticks", str(ticks), "--out", str(out)]
    for s in sets:
        args += ["--set", s]
    subprocess.run(args, check=True, stdout=subprocess.DEVNULL)
    with open(out / "timeseries.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    with open(out / "summary.json") as f:
        summary = json.load(f)
    return rows, summary


def mean_ci(xs):
    """Mean, s.d. and a normal-approximation 95% confidence interval of the mean."""
    if not xs:
        return float("nan"), float("nan"), (float("nan"), float("nan"))
    m = statistics.fmean(xs)
    sd = statistics.stdev(xs) if len(xs) > 1 else 0.0
    half = 1.96 * sd / math.sqrt(len(xs)) if len(xs) > 1 else 0.0
    return m, sd, (m - half, m + half)


def fmt(xs, digits=1):
    m, sd, (lo, hi) = mean_ci(xs)
    d = digits
    return f"mean {m:.{d}f}, s.d. {sd:.{d}f}, 95% CI [{lo:.{d}f}, {hi:.{d}f}], n = {len(xs)}"


def outbursts(rows, burn_in=100, level=50):
    """Outbursts after burn-in: (start, end, peak actives, activation events inside)."""
    found, start, peak, acts = [], None, 0, 0
    for r in rows:
        t, a = int(r["tick"]), float(r["active"])
        if t < burn_in:
            continue
        if a > level:
            if start is None:
                start, peak, acts = t, 0, 0
            peak = max(peak, a)
            acts += float(r["activations"])
        elif start is not None:
            found.append((start, t, peak, acts))
            start = None
    return found


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--bin", default="target/release/peacesim")
    p.add_argument("--seeds", type=int, default=20)
    a = p.parse_args()
    seeds = range(1, a.seeds + 1)
    tmp = Path(tempfile.mkdtemp())

    print("## Run 2 (3,000 ticks, outbursts after a 100-tick burn-in)")
    for rule in ["floor", "round_half_even", "literal"]:
        counts, gaps, starts_gaps, peaks, acts = [], [], [], [], []
        for seed in seeds:
            rows, _ = run(a.bin, "epstein-run2", seed, 3000, tmp / "r2", [f"rules.arrest_ratio={rule}"])
            ob = outbursts(rows)
            counts.append(len(ob))
            gaps += [b[0] - x[1] for x, b in zip(ob, ob[1:])]
            starts_gaps += [b[0] - x[0] for x, b in zip(ob, ob[1:])]
            peaks += [x[2] for x in ob]
            acts += [x[3] for x in ob]
        print(f"- {rule}: outbursts per run: {fmt(counts)}")
        if gaps:
            print(f"  - waiting time, end of one outburst to start of the next (ticks): {fmt(gaps)}")
            print(f"  - time between outburst starts (ticks): {fmt(starts_gaps)}")
            print(f"  - peak actives per outburst: {fmt(peaks)}")
            print(f"  - activations (quiescent -> active) per outburst: {fmt(acts)}")

    print("## Runs 3 and 4 (250 ticks, peak actives after tick 20)")
    pairs = []
    for seed in seeds:
        r3, _ = run(a.bin, "epstein-run3", seed, 250, tmp / "r3")
        r4, _ = run(a.bin, "epstein-run4", seed, 250, tmp / "r4")
        pairs.append((max(float(r["active"]) for r in r3[20:]), max(float(r["active"]) for r in r4[20:])))
    print(f"- Run 3 (salami) peak: {fmt([x for x, _ in pairs])}")
    print(f"- Run 4 (jump) peak: {fmt([y for _, y in pairs])}")
    print(f"- seeds where the jump peak exceeds the salami peak: {sum(y > x for x, y in pairs)} of {len(pairs)}")

    print("## Runs 3 and 4 under NetLogo's interleaved activation order (shuffled_all)")
    pairs = []
    order = ["rules.activation_order=shuffled_all"]
    for seed in seeds:
        r3, _ = run(a.bin, "epstein-run3", seed, 250, tmp / "r3", order)
        r4, _ = run(a.bin, "epstein-run4", seed, 250, tmp / "r4", order)
        pairs.append((max(float(r["active"]) for r in r3[20:]), max(float(r["active"]) for r in r4[20:])))
    print(f"- Run 3 (salami) peak: {fmt([x for x, _ in pairs])}")
    print(f"- Run 4 (jump) peak: {fmt([y for _, y in pairs])}")
    print(f"- seeds where the jump peak exceeds the salami peak: {sum(y > x for x, y in pairs)} of {len(pairs)}")
    counts = []
    for seed in seeds:
        rows, _ = run(a.bin, "epstein-run2", seed, 3000, tmp / "r2o", order)
        counts.append(len(outbursts(rows)))
    print(f"- Run 2 (floor) outbursts per run under shuffled_all: {fmt(counts)}")

    print("## Run 5 (400 ticks, cops 0.074 -> 0 from t = 50 to 300)")
    tips = []
    for seed in seeds:
        rows, _ = run(a.bin, "epstein-run5", seed, 400, tmp / "r5")
        tip = next((int(r["tick"]) for r in rows if int(r["tick"]) > 50 and float(r["active"]) > 200), None)
        tips.append(tip)
    tipped = [t for t in tips if t is not None]
    print(f"- runs in which actives exceed 200 after t = 50: {len(tipped)} of {len(tips)}; tick: {fmt(tipped)}")

    print("## mesa-epstein (1,000 ticks)")
    peaks, jailed = [], []
    for seed in seeds:
        _, s = run(a.bin, "mesa-epstein", seed, 1000, tmp / "me")
        peaks.append(s["outcomes"]["peak_active"])
        jailed.append(s["final_metrics"]["jailed"])
    print(f"- peak simultaneous actives: {fmt(peaks)}; range {min(peaks):.0f}-{max(peaks):.0f}")
    print(f"- jailed at the end: {fmt(jailed)}")

    print("## Drought (river-town fixtures, 150 ticks, means over ticks 20-150, paired seeds)")
    rows = {}
    for name in ["river-town-no-drought", "river-town-drought"]:
        rows[name] = []
        for seed in seeds:
            ts, _ = run(a.bin, f"tests/fixtures/{name}.toml", seed, 150, tmp / "dr")
            part = ts[20:]
            rows[name].append({k: statistics.fmean(float(r[k]) for r in part) for k in ["food_insecurity", "mean_grievance", "active"]})
    for k in ["food_insecurity", "mean_grievance", "active"]:
        base = [r[k] for r in rows["river-town-no-drought"]]
        dry = [r[k] for r in rows["river-town-drought"]]
        up = sum(d > b for d, b in zip(dry, base))
        digits = 1 if k == "active" else 4
        print(f"- {k}: no drought {fmt(base, digits)}; drought {fmt(dry, digits)}; drought higher in {up} of {len(base)} seeds")

    print("## Model II (1,000 ticks): time to extinction of one group")
    for name in ["epstein-run6", "epstein-run7", "epstein-run8"]:
        times, censored, victors = [], 0, {}
        for seed in seeds:
            _, s = run(a.bin, name, seed, 1000, tmp / "m2")
            t = s["outcomes"]["extinction_tick"]
            if t is None:
                censored += 1
            else:
                times.append(t)
                fm = s["final_metrics"]
                winner = "blue" if fm["alive_blue"] > 0 else "green"
                victors[winner] = victors.get(winner, 0) + 1
        print(f"- {name}: extinct in {len(times)} of {len(times) + censored} runs; tick: {fmt(times)}; victors {victors}")
    print("## Model II: extinction time against peacekeeper density (Run 8 rules, censored at 1,000)")
    for step in range(0, 11, 2):
        d = step / 100
        times = []
        for seed in seeds:
            _, s = run(a.bin, "epstein-run8", seed, 1000, tmp / "m2d", [f"forces.peacekeepers.density={d}"])
            t = s["outcomes"]["extinction_tick"]
            times.append(1000 if t is None else t)
        print(f"- density {d:.2f}: {fmt(times)}; censored {sum(t == 1000 for t in times)}")


if __name__ == "__main__":
    main()
