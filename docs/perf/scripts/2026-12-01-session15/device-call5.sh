#!/usr/bin/env bash
# Device call 5 (session 15): the whole GPU test suite of the submitted build (34df4d2) on one H200 ([ring] needs
# two GPUs and reports itself skipped here; it ran on two in session 14 and this session did not touch it).
set -uo pipefail
cd .carry && xz -d -k -f fa_bench_gpu_tests.xz && chmod +x fa_bench_gpu_tests && cd ..
S=$OUT/summary.txt; : > $S
nvidia-smi --query-gpu=name,uuid,clocks.sm,power.limit --format=csv,noheader | tee -a $S
timeout 560 .carry/fa_bench_gpu_tests "[gpu]" > $OUT/tests.log 2>&1
echo "all [gpu] tests rc=$? $(grep -E 'test cases' $OUT/tests.log | tail -1)" | tee -a $S
grep -h -B3 -A12 FAILED $OUT/tests.log | head -40 | tee -a $S
grep -c "SKIPPED\|skipped" $OUT/tests.log | sed 's/^/skip lines: /' | tee -a $S
xz -9 $OUT/tests.log
