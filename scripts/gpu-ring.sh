#!/usr/bin/env bash
# The ring family on a machine with several GPUs: its GPU tests (with all GPUs, with FA_RING_GPUS=1 and with
# FA_RING_STEPS=flash), verification against the CPU reference through the CLI, a memcheck run, ring against
# flash on one GPU at long sequences, and ring's flash3 steps against its flash steps and flash3 on one GPU.
#   scripts/gpu-ring.sh [BUILD_DIR] [OUT_DIR]
# NVLink multicast stays off (the lent machines require it; NCCL would otherwise use NVLS).
set -uo pipefail
build=${1:-build}
out=${2:-${OUT:-gpu-ring-out}}
mkdir -p "$out"
export NCCL_NVLS_ENABLE=0 TORCH_SYMM_MEM_DISABLE_MULTICAST=1 NVSHMEM_DISABLE_NVLS=1
bench=$build/cli/fa-bench
tests=$build/tests/fa_bench_gpu_tests
summary=$out/ring-summary.txt
: >"$summary"
note() { echo "$*" | tee -a "$summary"; }

nvidia-smi topo -m >"$out/topo.txt" 2>&1
note "gpus: $(nvidia-smi --query-gpu=name --format=csv,noheader | sort | uniq -c | tr -s ' ')"
note "link GPU0-GPU1: $(awk '/^GPU0/ {print $3}' "$out/topo.txt")"
"$bench" list >"$out/list.txt" 2>&1
note "list: $(grep -i ring "$out/list.txt")"

timeout 300 "$tests" "[ring]" >"$out/ring-tests.log" 2>&1
note "ring tests (all GPUs): rc=$? $(grep -E 'test cases|All tests passed' "$out/ring-tests.log" | tail -n1)"
FA_RING_GPUS=1 timeout 300 "$tests" "[ring]" >"$out/ring-tests-1gpu.log" 2>&1
note "ring tests (FA_RING_GPUS=1): rc=$? $(grep -E 'test cases|All tests passed' "$out/ring-tests-1gpu.log" | tail -n1)"
# On sm_90 the steps run flash3 by default: the flash path again, everywhere but the tests that set FA_RING_STEPS.
FA_RING_STEPS=flash timeout 300 "$tests" "[ring]" >"$out/ring-tests-flash-steps.log" 2>&1
note "ring tests (FA_RING_STEPS=flash): rc=$? $(grep -E 'test cases|All tests passed' "$out/ring-tests-flash-steps.log" | tail -n1)"

timeout 300 "$bench" verify --kernel ring,flash --batch 1 --heads 4 --seqlen 1024,2046 --head-dim 64,128 \
  --dtype bf16,fp16 --causal both --pass fwd,bwd >"$out/ring-verify.log" 2>&1
note "verify ring,flash: rc=$? $(tail -n1 "$out/ring-verify.log")"

# One GPU: with two, memcheck reports NCCL's own failed-call checks inside libnccl (peer access already
# enabled, a kernel-image probe), which say nothing about the ring's code.
FA_RING_GPUS=1 timeout 150 compute-sanitizer --tool memcheck --error-exitcode 9 "$bench" verify --kernel ring \
  --batch 1 --heads 2 --seqlen 512 --head-dim 64 --causal 1 --pass fwd,bwd --dtype bf16 >"$out/ring-memcheck.log" 2>&1
note "memcheck ring (1 GPU): rc=$? $(grep -E 'ERROR SUMMARY|passed, .* failed' "$out/ring-memcheck.log" | tr '\n' ' ')"

timeout 300 "$bench" run --kernel flash,ring --batch 1 --heads 16 --seqlen 16384,65536 --head-dim 128 --dtype bf16 \
  --causal both --pass fwd,fwdbwd --no-counters --out "$out/ring-scaling" >"$out/ring-scaling.log" 2>&1
note "ring vs flash: rc=$?"
grep -E '^\[' "$out/ring-scaling.log" | sed 's/^/  /' | tee -a "$summary"

# The steps' kernels: flash3 (the default on sm_90; each ring row's notes say which ran) against flash
# (FA_RING_STEPS=flash), and flash3 on one GPU.
timeout 300 "$bench" run --kernel flash3,ring --batch 1 --heads 16 --seqlen 16384,65536 --head-dim 128 --dtype bf16 \
  --causal both --pass fwd,fwdbwd --no-counters --out "$out/ring-flash3-steps" >"$out/ring-flash3-steps.log" 2>&1
note "ring (flash3 steps) vs flash3: rc=$?"
grep -E '^\[' "$out/ring-flash3-steps.log" | sed 's/^/  /' | tee -a "$summary"
FA_RING_STEPS=flash timeout 300 "$bench" run --kernel ring --batch 1 --heads 16 --seqlen 16384,65536 --head-dim 128 \
  --dtype bf16 --causal both --pass fwd,fwdbwd --no-counters --out "$out/ring-flash-steps" >"$out/ring-flash-steps.log" 2>&1
note "ring (FA_RING_STEPS=flash): rc=$?"
grep -E '^\[' "$out/ring-flash-steps.log" | sed 's/^/  /' | tee -a "$summary"
