#!/usr/bin/env python3
"""Replays the raw-too rule (a clock-normalized time change counts only when the raw change crosses the
line too; reports/compare_point.cpp, reports/compare_time.cpp) on the detection runs of a gate study made
before the rule: for each on-target 5%/10% trial, whether the first look (gate.json's raw change) and the
re-measurements (OUT/runs/.../confirm/round-N rows, raw medians against the baseline's raw geometric mean)
still cross the point's line.

    replay_raw_rule.py GATE_OUT
"""
import glob, gzip, json, os, re, statistics, sys

INJECTED = re.compile(r"\+([0-9.]+)% asked, \+?(-?[0-9.]+)% measured")


def rows(path):
    doc = json.load(gzip.open(path)) if path.endswith(".gz") else json.load(open(path))
    return {r["point_key"]: r for r in doc["rows"]}


counts = {}
for run in sorted(glob.glob(f"{sys.argv[1]}/runs/*/detect-5-10pct-*")):
    if not os.path.isdir(run):
        continue
    gate = json.load(open(f"{run}/gate.json"))
    rounds = [rows(f) for f in sorted(glob.glob(f"{run}/confirm/round-*/results.json*"))]
    for p in gate["points"]:
        m = INJECTED.search(p["status"].get("current_reason", ""))
        if not m:
            continue
        asked, achieved = float(m.group(1)), float(m.group(2))
        if not 0.5 * asked <= achieved <= 1.5 * asked:
            continue
        t = p["time"]
        line = t["regression_line_pct"]
        first = t["change_pct"] > line and t["raw_change_pct"] > line
        raw = [r[p["key"]]["time"]["median_ms"] / t["raw_baseline_median_ms"] * 100 - 100 for r in rounds if p["key"] in r]
        confirmed = bool((p.get("confirmation") or {}).get("reproduced")) and raw and statistics.median(raw) > line
        c = counts.setdefault(f"{asked:g}%", [0, 0])
        c[0] += 1
        c[1] += bool(first and confirmed)
        if not (first and confirmed):
            print(f"no longer reported: {run}: {p['label']} normalized {t['change_pct']:+.1f}% raw {t['raw_change_pct']:+.1f}% "
                  f"re-measured raw {raw}")
for k, (n, reported) in sorted(counts.items()):
    print(f"{k} trials: {reported} of {n} still reported under the raw-too rule")
