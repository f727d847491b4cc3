#!/usr/bin/env bash
# One batch of GPU work for a lent or CI GPU machine: GPU tests, sanitizers on small points, and the
# benchmark points behind the performance bars, all from an already built tree.
#   scripts/gpu-session.sh [BUILD_DIR] [OUT_DIR]      (defaults: build, ./gpu-session-out)
# Parts can be skipped: SKIP_TESTS=1, SKIP_SANITIZER=1, SKIP_BENCH=1; BENCH_SWEEPS="fa2-benchmark ..."
# adds named sweeps. Prints a short summary last; full logs and result folders go to OUT_DIR.
set -uo pipefail
build=${1:-build}
out=${2:-${OUT:-gpu-session-out}}
mkdir -p "$out"
bench=$build/cli/fa-bench
tests=$build/tests/fa_bench_gpu_tests
summary=$out/summary.txt
: >"$summary"
note() { echo "$*" | tee -a "$summary"; }

nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm,temperature.gpu --format=csv >"$out/gpu.txt" 2>&1
note "gpu: $(tail -n1 "$out/gpu.txt")"
"$bench" list >"$out/list.txt" 2>&1

if [[ ${SKIP_TESTS:-0} != 1 ]]; then
  "$tests" ${TEST_FILTER:-} >"$out/gpu-tests.log" 2>&1
  note "gpu tests: rc=$? $(grep -E 'test cases|All tests passed' "$out/gpu-tests.log" | tail -n1)"
fi

if [[ ${SKIP_SANITIZER:-0} != 1 ]]; then
  kernels=(standard flash block_sparse)
  # flash3 runs on Hopper only (sm_90a): sanitize it where `fa-bench list` says it is available.
  grep -Eq '^ +flash3 +cuda +available' "$out/list.txt" && kernels+=(flash3)
  for k in "${kernels[@]}"; do
    for tool in memcheck racecheck; do
      extra=()
      [[ $k == block_sparse ]] && extra=(--sparsity local --density 0.5)
      timeout 150 compute-sanitizer --tool "$tool" --error-exitcode 9 "$bench" verify --kernel "$k" --batch 1 --heads 2 \
        --seqlen 300 --seqlen-kv 257 --head-dim 64 --causal 1 --pass fwd,bwd --dropout 0.1 "${extra[@]}" \
        >"$out/sanitizer-$k-$tool.log" 2>&1
      note "compute-sanitizer $tool $k: rc=$? $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY|passed, .* failed' "$out/sanitizer-$k-$tool.log" | tr '\n' ' ')"
    done
  done
fi

run() {  # name, then fa-bench run flags
  local name=$1; shift
  "$bench" run --out "$out/$name" "$@" >"$out/$name.log" 2>&1
  note "bench $name: rc=$?"
  grep -E '^\[' "$out/$name.log" | sed 's/^/  /' | tee -a "$summary"
}

if [[ ${SKIP_BENCH:-0} != 1 ]]; then
  # Performance bars of the GPU kernels issue (bf16, B x N = 16k tokens, H x D = 2048).
  run flash-fwd --kernel flash,block_sparse --pass fwd,fwdbwd --tokens 16384 --hidden 2048 --seqlen 8192 \
    --head-dim 64,128 --dtype bf16 --check
  run flash-causal --kernel flash --pass fwd,fwdbwd --tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 128 \
    --dtype bf16 --causal 1
  run standard-bar --kernel standard,flash --batch 32 --heads 8 --seqlen 2048 --head-dim 64 --dtype fp16 \
    --dropout 0.2 --pass fwd,fwdbwd
  run sparse --kernel flash,block_sparse --batch 2 --heads 16 --seqlen 4096,8192 --head-dim 128 --dtype bf16 \
    --sparsity local,random,butterfly --density 0.25
  run memory --kernel standard,flash --batch 1 --heads 16 --seqlen 1024:16384:x2 --head-dim 128 --dtype bf16 \
    --pass fwd,bwd --max-time 0.1
  # The flash3 issue's bars (Hopper; elsewhere flash3's rows say why it cannot run): time ratio against
  # cudnn at N = 512, 1024, 8192, forward and forward+backward; the seed point with dropout.
  run flash3-bars --kernel flash,flash3,cudnn --tokens 16384 --hidden 2048 --seqlen 512,1024,8192 --head-dim 64,128 \
    --dtype bf16 --causal both --pass fwd,fwdbwd
  run seed-dropout --kernel flash,flash3,cudnn --batch 32 --heads 8 --seqlen 2048 --head-dim 64 --dtype fp16 \
    --dropout 0,0.2 --pass fwd
  # Grouped-query heads: 32/8 forward+backward against the same shape with 32 K/V heads.
  run gqa-bar --kernel flash,cudnn --batch 2 --heads 32 --kv-heads 32,8 --seqlen 8192 --head-dim 128 --dtype bf16 \
    --pass fwdbwd
  # Decoding: split-K/V against cuDNN and the copy ceiling ("Memory-bound rows" in results.md).
  run decode-bar --kernel flash,cudnn --batch 8 --heads 32 --kv-heads 8 --seqlen 1 --seqlen-kv 32768 --head-dim 128 \
    --dtype bf16
  sed -n '/^## Memory-bound rows/,/^## /p' "$out/decode-bar/results.md" | tee -a "$summary"
  # A packed batch of 16 sequences of 1k-8k tokens against the fixed-length point of the same 73049 tokens.
  run varlen-bar --kernel flash,cudnn --heads 16 --head-dim 128 --dtype bf16 --pass fwd,fwdbwd --causal both \
    --varlen uniform:1024:8192 --batch 16
  run varlen-fixed --kernel flash,cudnn --heads 16 --head-dim 128 --dtype bf16 --pass fwd,fwdbwd --causal both \
    --batch 17 --seqlen 4297 --layout bnhd
  # fp8 (flash3; cudnn where cuDNN offers it on the GPU) against bf16.
  run fp8-bar --kernel flash3,cudnn --dtype fp8,bf16 --tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 128,256 \
    --causal both --pass fwd
  for s in ${BENCH_SWEEPS:-}; do run "sweep-$s" --sweep "$s"; done
fi

if [[ ${SKIP_FIDELITY:-0} != 1 ]]; then
  # Counter fidelity: fa-bench's in-process HBM bytes against ncu's on the same points.
  for point in "--batch 32 --heads 8 --seqlen 2048 --head-dim 64 --dtype fp16" \
               "--batch 2 --heads 16 --seqlen 8192 --head-dim 128 --dtype bf16" \
               "--batch 4 --heads 16 --seqlen 4096 --head-dim 64 --dtype bf16 --causal 1"; do
    for k in standard flash; do
      tag=$(echo "$k $point" | tr -c 'a-zA-Z0-9\n' '_' | tr -s '_')
      # shellcheck disable=SC2086
      ncu --clock-control none --profile-from-start off --metrics dram__bytes_read.sum,dram__bytes_write.sum \
        --csv "$bench" profile --kernel $k $point >"$out/ncu-$tag.csv" 2>"$out/ncu-$tag.err"
      r=$(awk -F'","' '/dram__bytes_read.sum/ {gsub(/[",]/,"",$NF); s+=$NF} END {printf "%.6g", s}' "$out/ncu-$tag.csv")
      w=$(awk -F'","' '/dram__bytes_write.sum/ {gsub(/[",]/,"",$NF); s+=$NF} END {printf "%.6g", s}' "$out/ncu-$tag.csv")
      note "ncu $k $point: read $r write $w (units as ncu printed them; see ncu-$tag.csv)"
    done
  done
  # shellcheck disable=SC2086
  run fidelity --kernel standard,flash --batch 32 --heads 8 --seqlen 2048 --head-dim 64 --dtype fp16
  run fidelity2 --kernel standard,flash --batch 2 --heads 16 --seqlen 8192 --head-dim 128 --dtype bf16
  run fidelity3 --kernel standard,flash --batch 4 --heads 16 --seqlen 4096 --head-dim 64 --dtype bf16 --causal 1
  for f in fidelity fidelity2 fidelity3; do
    python3 - "$out/$f/results.json" <<'PY' | tee -a "$summary"
import json, sys
for r in json.load(open(sys.argv[1]))["rows"]:
    p = r["point"]
    drained = (r.get('extra_counters') or {}).get('dram__bytes_write.drained_from_l2', 0)
    print(f"  counters {p['kernel']}: read {r.get('hbm_read_bytes')} write {r.get('hbm_write_bytes')} "
          f"(of which drained from L2 after the range {drained}) model {r.get('io_model_bytes')} "
          f"note {r.get('counters_note')!r}")
PY
  done
fi

if [[ ${SKIP_REPEAT:-0} != 1 ]]; then
  # Repeatability and sweep speed: a 24-point x 3-kernel forward sweep with counters, twice, with the
  # default clock screen; REPEAT_UNSCREENED=1 adds two more with --throttle-threshold 0 for contrast.
  repeat_pair() {  # tag, then extra fa-bench flags
    local tag=$1; shift
    for i in 1 2; do
      start=$(date +%s)
      "$bench" run --out "$out/repeat$tag$i" --kernel standard,flash,block_sparse --tokens 16384 --hidden 2048 \
        --seqlen 512:16384:x2 --head-dim 64,128 --causal both --dtype bf16 "$@" >"$out/repeat$tag$i.log" 2>&1
      note "repeat sweep $tag$i ($*): rc=$? $(( $(date +%s) - start )) s, $(grep -c '^\[' "$out/repeat$tag$i.log") rows"
    done
    "$bench" compare "$out/repeat${tag}1/results.json" "$out/repeat${tag}2/results.json" \
      --json "$out/repeat$tag-compare.json" >"$out/repeat$tag-compare.md" 2>&1
    note "compare repeat${tag}1 repeat${tag}2: rc=$? $(head -n1 "$out/repeat$tag-compare.md")"
    "$bench" compare --clock-normalize "$out/repeat${tag}1/results.json" "$out/repeat${tag}2/results.json" \
      >"$out/repeat$tag-compare-normalized.md" 2>&1
    note "compare --clock-normalize repeat${tag}1 repeat${tag}2: rc=$? $(head -n1 "$out/repeat$tag-compare-normalized.md")"
    python3 - "$out/repeat${tag}1/results.json" "$out/repeat${tag}2/results.json" <<'PY' | tee -a "$summary"
import json, statistics, sys
runs = [{r["point_key"]: r for r in json.load(open(p))["rows"]} for p in sys.argv[1:3]]
a, b = runs
keys = [k for k in a if k in b and a[k]["status"] == "ok" and b[k]["status"] == "ok"]
def normalized(r, ref):  # median of the samples at the clock `ref`, as compare --clock-normalize does
    return statistics.median(ms * c / ref for ms, c in zip(r["samples_ms"], r["samples_clock_mhz"]))
for name, f in (("medians", lambda k, r: r["time"]["median_ms"]),
                ("clock-normalized medians", lambda k, r: normalized(r, statistics.median(a[k]["samples_clock_mhz"])))):
    pairs = sorted(((abs(f(k, b[k]) / f(k, a[k]) - 1), k) for k in keys), reverse=True)
    d = sorted(x for x, _ in pairs)
    print(f"  repeat {name}: {len(d)} pairs, median |diff| {100*d[len(d)//2]:.2f}%, max {100*d[-1]:.2f}%, "
          f"within 1%: {sum(x <= 0.01 for x in d)}")
    for x, k in pairs[:3]:
        print(f"    {100*x:.2f}%  {k}  clocks {a[k].get('sm_clock_sample_mhz', 0):.0f} / {b[k].get('sm_clock_sample_mhz', 0):.0f} MHz")
print(f"  samples dropped by the clock screen: {[sum(r.get('samples_dropped', 0) for r in run.values()) for run in runs]}")
PY
  }
  repeat_pair ""
  [[ ${REPEAT_UNSCREENED:-0} == 1 ]] && repeat_pair u --throttle-threshold 0
  # More variants: REPEAT_EXTRA="tag=flags;tag=flags", e.g. "w1=--min-warmup 0.1;w3=--min-warmup 0.3".
  IFS=';' read -ra variants <<<"${REPEAT_EXTRA:-}"
  for v in "${variants[@]}"; do
    # shellcheck disable=SC2086
    [[ -n $v ]] && repeat_pair "${v%%=*}" ${v#*=}
  done
fi
if [[ ${SKIP_ROUNDTRIP:-0} != 1 ]]; then
  # The CI regression-gate round trip: run, save a baseline, run again, compare.
  "$bench" run --sweep smoke --out "$out/gate1" --save-baseline gate --baseline-dir "$out/baselines" >"$out/gate1.log" 2>&1
  note "gate run 1 + save baseline: rc=$?"
  "$bench" run --sweep smoke --out "$out/gate2" --baseline gate --baseline-dir "$out/baselines" >"$out/gate2.log" 2>&1
  note "gate run 2 + compare against baseline: rc=$? $(grep -m1 'fa-bench compare' "$out/gate2.log")"
fi

if [[ ${SKIP_DEFAULT:-0} != 1 ]]; then
  # What a new user sees: the default sweep with its Markdown report.
  "$bench" run --out "$out/default" >"$out/default.log" 2>&1
  note "default sweep: rc=$? $(tail -n2 "$out/default.log" | head -n1)"
fi

# Everything in one archive (the device tool returns a limited number of files).
tar -czf "$out/session.tgz" -C "$out" --exclude session.tgz . 2>/dev/null
echo "---- summary ----"
cat "$summary"
