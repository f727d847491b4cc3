#!/usr/bin/env bash
# Measure your own regression gate on one GPU machine: how often it fails unchanged code (A/A), and
# how often it catches a known slowdown (detection), gated exactly as docs/ci.md recommends:
#   baseline: BASE_RUNS separate processes, each `fa-bench run --sweep S --save-baseline S`
#   gate:     `fa-bench run --sweep S --baseline S` (re-measures suspects before failing)
#
#   scripts/gate-study.sh BUILD OUT                      first machine: baselines, A/A, detection
#   scripts/gate-study.sh BUILD OUT --against PREV_OUT   another machine of the same GPU model: its
#                                                        runs gated against PREV_OUT/baselines
#
# A/A pair: one gated run against the stored multi-run baseline of the same binary; it fails when
# `run --baseline` exits 1. Detection: a gated run with the test-only fault injection
# (measure/fault_injection.hpp) slowing points down on purpose, picked by their baseline duration:
# 5% on points >= 0.5 ms and 10% on smaller ones (ci-gate twice, default once), and 2% on points
# < 0.1 ms (TWO_PCT_RUNS runs of TWO_PCT_SWEEP; these should pass). A spin kernel cannot add less than
# its own launch gap (about 1.6 us on an H200 with the stream held), so a 2% injection is only possible
# on points of about 75 us and more: TWO_PCT_MIN_MS picks them (the sweep gate-2pct of
# scripts/gate-study-sweeps.json is made of points around that size).
# A detection trial is one injected point of one gated run; the points of one run share its process,
# so they are not independent trials (the summary says so).
#
# Knobs (environment): SWEEPS ("ci-gate default smoke"), BASE_RUNS (5), AA_RUNS (10 per sweep),
# DETECT (1; 0 skips detection), BUDGET_S (345: no run starts after this many seconds; what was not
# run is listed), RUN_FLAGS (extra `fa-bench run` flags, the same for every run), TWO_PCT_SWEEP
# (default; must be one of SWEEPS), TWO_PCT_RUNS (2), TWO_PCT_MIN_MS (0) and TWO_PCT_MAX_MS (0.1).
# Everything goes under OUT; the summary (OUT/summary.md, OUT/summary.json) is printed last.
# Needs python3 (standard library only) for choosing points and summarising: scripts/gate_study.py.
set -uo pipefail
if [[ $# -lt 2 ]]; then
  echo "usage: scripts/gate-study.sh BUILD OUT [--against PREV_OUT]" >&2
  exit 2
fi
build=$1
out=$2
against=
if [[ $# -ge 3 ]]; then
  if [[ $3 != --against || $# -ne 4 ]]; then
    echo "gate-study.sh: the third argument can only be --against PREV_OUT" >&2
    exit 2
  fi
  against=$4
  if [[ ! -d $against/baselines ]]; then
    echo "gate-study.sh: --against $against: no baselines/ there (the OUT of a first-machine study)" >&2
    exit 2
  fi
fi
here=$(cd "$(dirname "$0")" && pwd)
bench=$build/cli/fa-bench
py="python3 $here/gate_study.py"
if [[ ! -x $bench ]]; then
  echo "gate-study.sh: $bench is not an executable (build first)" >&2
  exit 2
fi
read -r -a sweeps <<<"${SWEEPS:-ci-gate default smoke}"
base_runs=${BASE_RUNS:-5}
aa_runs=${AA_RUNS:-10}
detect=${DETECT:-1}
two_pct_sweep=${TWO_PCT_SWEEP:-default}
two_pct_runs=${TWO_PCT_RUNS:-2}
two_pct_min=${TWO_PCT_MIN_MS:-0}
two_pct_max=${TWO_PCT_MAX_MS:-0.1}
budget=${BUDGET_S:-345}
read -r -a run_flags <<<"${RUN_FLAGS:-}"
if [[ -e $out/runs.tsv ]]; then
  echo "gate-study.sh: $out already holds a study: give a new OUT" >&2
  exit 2
fi
mkdir -p "$out/runs"
store=$out/baselines
[[ -n $against ]] && store=$against/baselines
log=$out/runs.tsv
printf 'label\tsweep\tkind\tspec\trc\tseconds\n' >"$log"
start=$SECONDS
skipped=()

{
  if [[ -n $against ]]; then echo "mode: cross-machine, gated against $against/baselines"; else echo "mode: first machine"; fi
  nvidia-smi --query-gpu=name,uuid,driver_version,clocks.sm,clocks.max.sm,temperature.gpu,power.limit \
    --format=csv,noheader 2>&1
  echo "host: $(hostname)"
  "$bench" --version
} >"$out/machine.txt"

# run LABEL SWEEP KIND SPEC -- fa-bench run flags...   (SPEC: the fault injection, "" for none)
run() {
  local label=$1 sweep=$2 kind=$3 spec=$4
  shift 5
  if ((SECONDS - start >= budget)); then
    skipped+=("$label")
    return
  fi
  local dir=$out/runs/$label t0=$SECONDS rc
  mkdir -p "$(dirname "$dir")"
  if [[ -n $spec ]]; then
    FA_BENCH_TEST_SLOWDOWN=$spec FA_BENCH_TEST_SLOWDOWN_ACK=falsify-timings \
      "$bench" run --sweep "$sweep" --out "$dir" "${run_flags[@]}" "$@" >"$dir.log" 2>&1
  else
    "$bench" run --sweep "$sweep" --out "$dir" "${run_flags[@]}" "$@" >"$dir.log" 2>&1
  fi
  rc=$?
  printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$sweep" "$kind" "${spec:0:60}" "$rc" "$((SECONDS - t0))" >>"$log"
  echo "$(printf '%4d' $((SECONDS - start))) s  $label: rc=$rc, $((SECONDS - t0)) s" >&2
  # Keep what the summary and a later look need; the rest is large (samples) or repeated.
  rm -f "$dir/results.csv" "$dir/results.md"
  [[ $kind != base && -f $dir/results.json ]] && gzip -f "$dir/results.json"
}

gated() { run "$1" "$2" "$3" "$4" -- --baseline "$2" --baseline-dir "$store"; }

# Detection runs, spread over the A/A rounds so that a budget cut leaves some of each.
detect_job() {  # index: 1-2 ci-gate 5%/10%, 3 default 5%/10%, 4.. the 2% runs
  local sweep spec keys_big keys_small
  case $1 in
    1 | 2) sweep=ci-gate ;;
    3) sweep=default ;;
    *) (($1 - 3 <= two_pct_runs)) || return
       sweep=$two_pct_sweep ;;
  esac
  [[ " ${sweeps[*]} " == *" $sweep "* ]] || return
  local stored
  stored=$(ls "$store"/*/"$sweep".json 2>/dev/null | head -n1)
  [[ -n $stored ]] || return
  if (($1 >= 4)); then  # 2% on points under 0.1 ms: should pass
    keys_small=$($py keys "$stored" --min-ms "$two_pct_min" --max-ms "$two_pct_max")
    [[ -n $keys_small ]] && gated "$sweep/detect-2pct-$1" "$sweep" detect "2%:$keys_small"
    return
  fi
  keys_big=$($py keys "$stored" --min-ms 0.5)
  keys_small=$($py keys "$stored" --max-ms 0.5)
  spec=
  [[ -n $keys_big ]] && spec="5%:$keys_big"
  [[ -n $keys_small ]] && spec="${spec:+$spec;}10%:$keys_small"
  [[ -n $spec ]] && gated "$sweep/detect-5-10pct-$1" "$sweep" detect "$spec"
}

if [[ -z $against ]]; then
  for s in "${sweeps[@]}"; do
    for k in $(seq 1 "$base_runs"); do
      run "$s/base-$k" "$s" base "" -- --save-baseline "$s" --baseline-dir "$store"
    done
  done
fi
for i in $(seq 1 "$aa_runs"); do
  for s in "${sweeps[@]}"; do
    gated "$s/${against:+x}aa-$i" "$s" "${against:+x}aa" ""
  done
  if [[ -z $against && $detect != 0 && $((i % 2)) == 0 ]]; then detect_job $((i / 2)); fi
done
if [[ -z $against && $detect != 0 ]]; then  # rounds fewer than 10: the remaining detection runs
  for j in $(seq $((aa_runs / 2 + 1)) $((3 + two_pct_runs))); do detect_job "$j"; done
fi

printf '%s\n' "${skipped[@]}" >"$out/skipped.txt"
echo "total: $((SECONDS - start)) s; runs skipped by BUDGET_S=$budget: ${#skipped[@]}" >&2
$py summary "$out"
