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
  for k in standard flash block_sparse; do
    for tool in memcheck racecheck; do
      extra=()
      [[ $k == block_sparse ]] && extra=(--sparsity local --density 0.5)
      compute-sanitizer --tool "$tool" --error-exitcode 9 "$bench" verify --kernel "$k" --batch 1 --heads 2 \
        --seqlen 300 --seqlen-kv 257 --head-dim 64 --causal 1 --pass fwd,bwd --dropout 0.1 "${extra[@]}" \
        >"$out/sanitizer-$k-$tool.log" 2>&1
      note "compute-sanitizer $tool $k: rc=$? $(grep -E 'ERROR SUMMARY' "$out/sanitizer-$k-$tool.log" | tail -n1)"
    done
  done
fi

if [[ ${SKIP_BENCH:-0} != 1 ]]; then
  run() {  # name, then fa-bench run flags
    local name=$1; shift
    "$bench" run --out "$out/$name" "$@" >"$out/$name.log" 2>&1
    note "bench $name: rc=$?"
    grep -E '^\[' "$out/$name.log" | sed 's/^/  /' | tee -a "$summary"
  }
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
  for s in ${BENCH_SWEEPS:-}; do run "sweep-$s" --sweep "$s"; done
fi
echo "---- summary ----"
cat "$summary"
