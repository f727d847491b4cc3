#!/usr/bin/env bash
# Device call 1 (session 11): the held sampler (measure/stream_hold.hpp) on the GPU, then the gate study with
# the floor as it was (8 us absolute term), to learn the between-run spread of tiny points once the host's
# enqueueing is out of the timed interval.
set -uo pipefail
cd .carry && for f in *.xz; do xz -d -k -f $f; done && chmod +x fa-bench fa_bench_gpu_tests && cd ..
B=.carry/fa-bench; T=.carry/fa_bench_gpu_tests
S=$OUT/summary.txt; : > $S
note() { echo "$*" | tee -a $S; }
nvidia-smi --query-gpu=name,uuid,clocks.sm,power.limit --format=csv,noheader | tee -a $S
note "== GPU tests [measure],[fault]"
timeout 90 $T "[measure],[fault]" > $OUT/gpu-tests.log 2>&1; note "rc=$? $(grep -E 'test cases' $OUT/gpu-tests.log | tail -1)"
grep -B3 -A12 FAILED $OUT/gpu-tests.log | head -40 | tee -a $S
note "== gate study"
mkdir -p build-carry/cli && cp $B build-carry/cli/fa-bench
BUDGET_S=${GATE_BUDGET:-330} BASE_RUNS=5 AA_RUNS=8 timeout 420 bash scripts/gate-study.sh build-carry $OUT/gate > $OUT/gate.log 2>&1; note "rc=$?"
tail -30 $OUT/gate.log | tee -a $S
note "unheld rows: $(zcat $OUT/gate/runs/*/*/results.json.gz 2>/dev/null | grep -o 'unheld[^"]*' | sort | uniq -c | head -3)"
(cd $OUT && tar -czf results.tgz --exclude=results.tgz --exclude=summary.txt * && find . -mindepth 1 -maxdepth 1 ! -name results.tgz ! -name summary.txt -exec rm -rf {} +)
