#!/usr/bin/env python3
"""How well two runs of the same sweep agree, point by point: the share of medians within a bound.

    docs/perf/scripts/repeat_agreement.py A/results.json B/results.json [--bound 1] [--worst 5]

Prints the number of points whose medians differ by at most --bound percent, raw and clock-normalized
(each run's samples times their own SM clock, i.e. cycles; the same idea as `compare --clock-normalize`),
the largest differences and the median |difference|. CSV files work too, raw only (the per-sample
clocks are in the JSON). This is the check behind docs/perf's repeatability tables; `fa-bench compare`
is the regression gate, with its own statistics.
"""
import argparse
import csv
import json
import statistics


def load(path):
    """point_key -> (median ms, median cycles or None, median SM clock MHz or None)."""
    rows = {}
    if path.endswith(".json"):
        with open(path) as f:
            for r in json.load(f)["rows"]:
                if r.get("status") != "ok":
                    continue
                t, c = r.get("samples_ms") or [], r.get("samples_clock_mhz") or []
                cycles = statistics.median(a * b for a, b in zip(t, c)) if t and len(c) == len(t) else None
                rows[r["point_key"]] = (r["time"]["median_ms"], cycles, r.get("sm_clock_sample_mhz"))
    else:
        with open(path, newline="") as f:
            for r in csv.DictReader(f):
                if r["status"] == "ok":
                    clk = float(r["sm_clock_sample_mhz"]) if r.get("sm_clock_sample_mhz") else None
                    rows[r["point_key"]] = (float(r["median_ms"]), None, clk)
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("a")
    ap.add_argument("b")
    ap.add_argument("--bound", type=float, default=1.0, help="percent (default 1)")
    ap.add_argument("--worst", type=int, default=5, help="how many of the largest differences to list")
    args = ap.parse_args()
    a, b = load(args.a), load(args.b)
    keys = [k for k in a if k in b]
    if not keys:
        raise SystemExit("no point in common")
    raw = sorted(((b[k][0] / a[k][0] - 1) * 100, k) for k in keys)
    raw.sort(key=lambda x: -abs(x[0]))
    within = sum(abs(d) <= args.bound for d, _ in raw)
    print(f"raw medians within {args.bound:g} %: {within} / {len(keys)}; max {abs(raw[0][0]):.2f} %; "
          f"median |diff| {statistics.median(abs(d) for d, _ in raw):.2f} %")
    norm = [((b[k][1] / a[k][1] - 1) * 100, k) for k in keys if a[k][1] and b[k][1]]
    if norm:
        norm.sort(key=lambda x: -abs(x[0]))
        within_n = sum(abs(d) <= args.bound for d, _ in norm)
        print(f"clock-normalized within {args.bound:g} %: {within_n} / {len(norm)}; max {abs(norm[0][0]):.2f} %")
    for d, k in raw[: args.worst]:
        ca, cb = a[k][2], b[k][2]
        clocks = f" (SM clock {ca:.0f} -> {cb:.0f} MHz)" if ca and cb else ""
        print(f"  {d:+.2f} % {k}{clocks}")


if __name__ == "__main__":
    main()
