#!/usr/bin/env bash
# Repeatability study of the issue-4 forward sweep (24 points x 3 kernels, counters on): does the GPU's
# thermal history explain why two identical sweeps disagree? Sweeps run back to back and after idle
# gaps, with the GPU's temperature, power and clock read (never set) by nvidia-smi in the background.
# Then the standard kernel's between-process spread at fixed points, each point in several processes.
# (This study found that freed memory, scrubbed by the driver in the background, slowed the next
# points; measure/device_pool.hpp and docs/perf/2026-11-28-h200-session9.md.)
#   docs/perf/scripts/2026-11-28-h200-repeat-study.sh [BUILD_DIR] [OUT_DIR]      GAP_S (idle gap, default 60), PROCS (default 6)
set -uo pipefail
build=${1:-build}
out=${2:-${OUT:-gpu-repeat-out}}
gap=${GAP_S:-60}
procs=${PROCS:-6}
mkdir -p "$out"
bench=$build/cli/fa-bench
summary=$out/repeat-summary.txt
: >"$summary"
note() { echo "$*" | tee -a "$summary"; }
gpu_state() {  # one line: temperatures, power, SM clock, and why the clock is held down
  nvidia-smi -i "${CUDA_VISIBLE_DEVICES:-0}" --query-gpu=temperature.gpu,temperature.memory,power.draw,clocks.sm,clocks_event_reasons.sw_power_cap,clocks_event_reasons.sw_thermal_slowdown,clocks_event_reasons.hw_slowdown \
    --format=csv,noheader 2>&1 | tr -d '\n'
}

nvidia-smi dmon -i "${CUDA_VISIBLE_DEVICES:-0}" -s pc -d 1 -o T >"$out/dmon.txt" 2>&1 &
dmon=$!

sweep=(--kernel standard,flash,block_sparse --tokens 16384 --hidden 2048 --seqlen 512:16384:x2 --head-dim 64,128
  --causal both --dtype bf16)
one() {  # tag
  note "before $1: $(gpu_state)"
  local t0=$SECONDS
  "$bench" run "${sweep[@]}" --out "$out/$1" >"$out/$1.log" 2>&1
  note "sweep $1: rc=$? $((SECONDS - t0)) s; after: $(gpu_state)"
}
one s1
one s2
sleep "$gap"
one s3
sleep "$gap"
one s4

# The standard kernel alone, several processes: the spread between processes at (nearly) the same
# clock is what neither the clock nor the sweep's history explains.
for p in $(seq 1 "$procs"); do
  "$bench" run --kernel standard --batch 16 --heads 32,16 --seqlen 1024 --head-dim 64,128 --dtype bf16 --no-counters \
    --out "$out/std-proc$p" >"$out/std-proc$p.log" 2>&1
  note "standard process $p: rc=$? $(grep -E '^\[' "$out/std-proc$p.log" | tr '\n' ' ')"
done
kill "$dmon" 2>/dev/null
