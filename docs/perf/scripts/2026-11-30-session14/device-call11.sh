#!/usr/bin/env bash
# Device call 11 (session 14), on nvidia-h200-x2: the ring family on two GPUs with its steps on flash3 (the sm_90
# default since session 13), trimmed from scripts/gpu-ring.sh to the device time left: the [ring] GPU tests with both
# GPUs, and ring against flash3 on one GPU at N 65536, causal, forward.
set -uo pipefail
export NCCL_NVLS_ENABLE=0 TORCH_SYMM_MEM_DISABLE_MULTICAST=1 NVSHMEM_DISABLE_NVLS=1
cd .carry && for f in *.xz; do xz -d -k -f $f; done && chmod +x fa-bench fa_bench_gpu_tests && cd ..
B=.carry/fa-bench; T=.carry/fa_bench_gpu_tests
S=$OUT/summary.txt; : > $S
note() { echo "$*" | tee -a $S; }
nvidia-smi --query-gpu=name,uuid --format=csv,noheader | tee -a $S
timeout 100 $T "[ring]" > $OUT/ring-tests.log 2>&1
note "ring tests (2 GPUs, flash3 steps): rc=$? $(grep -E 'test cases|All tests passed' $OUT/ring-tests.log | tail -n1)"
grep -h -B3 -A10 FAILED $OUT/ring-tests.log | head -20 | tee -a $S
timeout 40 $B run --kernel flash3,ring --batch 1 --heads 16 --seqlen 65536 --head-dim 128 --dtype bf16 --causal true --pass fwd --max-time 0.15 --no-counters --out $OUT/ring-run > $OUT/ring-run.log 2>&1
note "ring vs flash3: rc=$?"
grep -E '^\[' $OUT/ring-run.log | tee -a $S
grep -o '"notes":"[^"]*' $OUT/ring-run/results.json 2>/dev/null | head -3 | tee -a $S
(cd $OUT && tar -czf ring.tgz ring-tests.log ring-run.log ring-run/results.csv && rm -rf ring-tests.log ring-run.log ring-run)
