#!/usr/bin/env bash
# Decoding on one GPU (flash's split-K/V forward): its GPU tests, compute-sanitizer on its small points,
# verification through the CLI, the bar point (B 8, 32/8, D 128, Nk 32768, bf16, Nq 1: flash against
# cudnn, bandwidth against the measured copy ceiling) and the llm-decode sweep.
#   scripts/gpu-decode.sh [BUILD_DIR] [OUT_DIR]      (defaults: build, ./gpu-decode-out)
# SKIP_SWEEP=1 leaves out the llm-decode sweep (the longest part: 72 points).
set -uo pipefail
build=${1:-build}
out=${2:-${OUT:-gpu-decode-out}}
mkdir -p "$out"
bench=$build/cli/fa-bench
tests=$build/tests/fa_bench_gpu_tests
summary=$out/decode-summary.txt
: >"$summary"
note() { echo "$*" | tee -a "$summary"; }

note "gpu: $(nvidia-smi --query-gpu=name,driver_version --format=csv,noheader 2>&1)"

start=$(date +%s)
timeout 300 "$tests" "[decode]" >"$out/decode-tests.log" 2>&1
note "decode tests: rc=$? $(( $(date +%s) - start )) s $(grep -E 'test cases|All tests passed' "$out/decode-tests.log" | tail -n1)"
# The other flash forward tests now take the split path at their short query lengths too.
timeout 300 "$tests" "[flash],[gqa]" >"$out/flash-gqa-tests.log" 2>&1
note "flash + gqa tests: rc=$? $(grep -E 'test cases|All tests passed' "$out/flash-gqa-tests.log" | tail -n1)"

for tool in memcheck racecheck; do
  timeout 300 compute-sanitizer --tool "$tool" --error-exitcode 9 "$tests" "[.decode_sanitize]" \
    >"$out/sanitizer-decode-$tool.log" 2>&1
  note "compute-sanitizer $tool decode: rc=$? $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY|All tests passed|failed' "$out/sanitizer-decode-$tool.log" | tr '\n' ' ')"
done

timeout 600 "$bench" verify --kernel flash --seqlen 1,4,16 --seqlen-kv 17,4097,65536 --heads 32 --kv-heads 8,1 \
  --head-dim 64 --dtype fp16,bf16 --causal both >"$out/decode-verify.log" 2>&1
note "verify D64: rc=$? $(tail -n1 "$out/decode-verify.log")"
timeout 600 "$bench" verify --kernel flash --seqlen 1,4,16 --seqlen-kv 1,1000,4097 --heads 8 --kv-heads 8,2 \
  --head-dim 128 --dtype bf16 --causal both --layout bnhd >"$out/decode-verify-d128.log" 2>&1
note "verify D128 bnhd: rc=$? $(tail -n1 "$out/decode-verify-d128.log")"

run() {  # name, then fa-bench run flags
  local name=$1; shift
  "$bench" run --out "$out/$name" "$@" >"$out/$name.log" 2>&1
  note "bench $name: rc=$?"
  grep -E '^\[' "$out/$name.log" | sed 's/^/  /' | tee -a "$summary"
  sed -n '/^- hbm_copy_ceiling/p; /^## Memory-bound rows/,/^## /p' "$out/$name/results.md" | sed 's/^/  /' | tee -a "$summary"
}

# The bar: flash >= 80 % of the copy ceiling, cudnn_ms / flash_ms >= 1.0 ("flash vs cudnn" in results.md).
run decode-bar --kernel flash,cudnn --batch 8 --heads 32 --kv-heads 8 --seqlen 1 --seqlen-kv 32768 --head-dim 128 \
  --dtype bf16 --check
grep -E '^\| 8 \| 32 \|' "$out/decode-bar/results.md" | sed 's/^/  table: /' | tee -a "$summary"
# Nq 1, 4, 16 over cache lengths, grouped and multi-query.
run decode-grid --kernel flash,cudnn --batch 8 --heads 32 --kv-heads 8,1 --seqlen 1,4,16 \
  --seqlen-kv 4096:131072:x4 --head-dim 128 --dtype bf16 --causal 1
# The same grid on flash's normal path: the measured case for the split rule (<= 64 rows per K/V head).
(export FA_FLASH_DECODE=off; run decode-grid-normal --kernel flash --batch 8 --heads 32 --kv-heads 8,1 \
  --seqlen 1,4,16 --seqlen-kv 4096:131072:x4 --head-dim 128 --dtype bf16 --causal 1)
[[ ${SKIP_SWEEP:-0} == 1 ]] || run llm-decode --sweep llm-decode

tar -czf "$out/decode-session.tgz" -C "$out" --exclude decode-session.tgz . 2>/dev/null
echo "---- summary ----"
cat "$summary"
