#!/usr/bin/env python3
"""Between-run spread of each point's clock-normalized median over a gate study's unchanged runs
(base-* and aa-*), for points under 0.2 ms: how the 2 us floor of reports/compare_noise.hpp was chosen.

    run_spread.py GATE_OUT [GATE_OUT...]   (the OUT of scripts/gate-study.sh; prints a TSV)
"""
import glob, gzip, json, math, statistics, sys


def rows(path):
    doc = json.load(gzip.open(path)) if path.endswith(".gz") else json.load(open(path))
    return {r["point_key"]: r for r in doc["rows"]}


print("study\tsweep\tmedian_us\tsd_pct\tsd_us\trange_pct\truns\tunheld_runs\tpoint")
for out in sys.argv[1:]:
    for sweep in ("ci-gate", "default", "smoke"):
        files = sorted(glob.glob(f"{out}/runs/{sweep}/base-*/results.json")) + \
                sorted(glob.glob(f"{out}/runs/{sweep}/aa-*/results.json.gz"))
        runs = [rows(f) for f in files]
        if not runs:
            continue
        for key, r0 in runs[0].items():
            if r0["status"] != "ok":
                continue
            logs, unheld = [], 0
            for r in runs:
                x = r.get(key)
                if not x or x["status"] != "ok":
                    continue
                unheld += "unheld" in x["timing_mode"]
                logs.append(math.log(x["time"]["median_ms"] * x["sm_clock_sample_mhz"] / 1980.0))
            if len(logs) < 3:
                continue
            m = math.exp(statistics.mean(logs)) * 1000
            if m >= 200:
                continue
            sd = statistics.stdev(logs) * 100
            print(f"{out}\t{sweep}\t{m:.1f}\t{sd:.2f}\t{sd * m / 100:.2f}\t{(max(logs) - min(logs)) * 100:.1f}\t"
                  f"{len(logs)}\t{unheld}\t{key}")
