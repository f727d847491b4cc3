#!/usr/bin/env bash
# Device call 2 (session 11): the house refactor (one point set-up, run_point in phases) and the held sampler
# on the GPU (GPU tests, verify, graph timing), then the gate study as docs/ci.md recommends: 5-run baselines,
# 10 A/A runs of each of ci-gate/default/smoke, the detection runs; floor 2.5% / 2 us.
set -uo pipefail
cd .carry && for f in *.xz; do xz -d -k -f $f; done && chmod +x fa-bench fa_bench_gpu_tests && cd ..
B=.carry/fa-bench; T=.carry/fa_bench_gpu_tests
S=$OUT/summary.txt; : > $S
note() { echo "$*" | tee -a $S; }
nvidia-smi --query-gpu=name,uuid,clocks.sm,power.limit --format=csv,noheader | tee -a $S
note "== GPU tests"
timeout 150 $T "[measure],[fault],[counters],[flash_bwd],[standard],[dropout]" > $OUT/gpu-tests.log 2>&1; note "rc=$? $(grep -E 'test cases' $OUT/gpu-tests.log | tail -1)"
grep -B3 -A12 FAILED $OUT/gpu-tests.log | head -40 | tee -a $S
timeout 30 $B verify --kernel flash,standard,flash3 --batch 1 --heads 2 --seqlen 17,255 --head-dim 64 --pass fwd,bwd > $OUT/verify.log 2>&1; note "verify rc=$? $(tail -1 $OUT/verify.log)"
timeout 30 $B run --kernel standard,flash --seqlen 1024 --head-dim 64 --dtype bf16 --hot --graph --out $OUT/graph > /dev/null 2>&1; note "graph rc=$? $(cut -d, -f1-3 $OUT/graph/results.csv | head -1) $(grep -o 'hot[^,]*' $OUT/graph/results.csv | sort | uniq -c | tr '\n' ' ')"
note "== gate study"
mkdir -p build-carry/cli && cp $B build-carry/cli/fa-bench
BUDGET_S=${GATE_BUDGET:-330} BASE_RUNS=5 AA_RUNS=10 timeout 390 bash scripts/gate-study.sh build-carry $OUT/gate > $OUT/gate.log 2>&1; note "rc=$?"
tail -30 $OUT/gate.log | tee -a $S
note "unheld rows: $(zcat $OUT/gate/runs/*/*/results.json.gz 2>/dev/null | grep -o 'unheld[^"]*' | sort | uniq -c | head -3)"
(cd $OUT && tar -czf results.tgz --exclude=results.tgz --exclude=summary.txt * && find . -mindepth 1 -maxdepth 1 ! -name results.tgz ! -name summary.txt -exec rm -rf {} +)
