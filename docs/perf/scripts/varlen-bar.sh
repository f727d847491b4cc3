#!/usr/bin/env bash
# Issue 14's varlen bar: a packed batch of 16 sequences uniform in 1k-8k tokens (--seed 0x5eed draws
# 73049 tokens: 1230/4810/7169 min/median/max) against the fixed-length point of the same total
# tokens (17 x 4297 = 73049, packed layout bnhd like the varlen batch), bf16, H 16, D 128, fwd and
# fwd+bwd, non-causal (the bar) and causal. Passes when varlen TFLOP/s >= 0.9 x fixed TFLOP/s.
# Run from the repository root with a built tree: docs/perf/scripts/varlen-bar.sh [OUT_DIR]
set -euo pipefail
B=${FA_BENCH:-build/cli/fa-bench}
OUT=${1:-varlen-bar}
common=(--kernel flash,cudnn --heads 16 --head-dim 128 --dtype bf16 --pass fwd,fwdbwd --causal both)
"$B" run "${common[@]}" --varlen uniform:1024:8192 --batch 16 --out "$OUT/varlen"
"$B" run "${common[@]}" --batch 17 --seqlen 4297 --layout bnhd --out "$OUT/fixed"
python3 - "$OUT" <<'PY'
import csv, sys
out = sys.argv[1]
rows = {}
for kind in ("varlen", "fixed"):
    for r in csv.DictReader(open(f"{out}/{kind}/results.csv")):
        rows[(kind, r["kernel"], r["pass"], r["causal"])] = r
print(f"{'kernel':8} {'pass':7} {'causal':6} {'varlen TF/s':>11} {'fixed TF/s':>10} {'ratio':>6}  tokens")
for (kind, kernel, pss, causal), v in sorted(rows.items()):
    if kind != "varlen":
        continue
    f = rows.get(("fixed", kernel, pss, causal))
    if not f or v["status"] != "ok" or f["status"] != "ok":
        print(f"{kernel:8} {pss:7} {causal:6} not measured: {v['reason'] or (f or {}).get('reason', 'no fixed row')}")
        continue
    tv, tf = float(v["tflops"]), float(f["tflops"])
    verdict = "PASS" if tv >= 0.9 * tf else "below 0.9"
    print(f"{kernel:8} {pss:7} {causal:6} {tv:11.1f} {tf:10.1f} {tv / tf:6.3f}  {v['varlen_tokens']} vs "
          f"{int(f['batch']) * int(f['seqlen_q'])}  {verdict}")
PY
