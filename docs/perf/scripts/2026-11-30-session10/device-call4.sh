#!/usr/bin/env bash
# Device call 4 (a fresh machine): cross-machine A/A against call 3's baselines, flash3 sanitizers, the
# flash/standard GPU tests after the shared-mask change, and a block_sparse backward tolerance check.
set -uo pipefail
cd .carry && for f in *.xz; do xz -d -k -f $f; done && chmod +x fa-bench fa_bench_gpu_tests && cd ..
B=.carry/fa-bench; T=.carry/fa_bench_gpu_tests
S=$OUT/summary.txt; : > $S
note() { echo "$*" | tee -a $S; }
nvidia-smi --query-gpu=name,uuid,clocks.sm,power.limit --format=csv,noheader | tee -a $S
note "== cross-machine A/A"
mkdir -p build-carry/cli && cp $B build-carry/cli/fa-bench
BUDGET_S=95 AA_RUNS=4 DETECT=0 timeout 130 bash scripts/gate-study.sh build-carry $OUT/gate-m2 --against .carry/gate-m1 > $OUT/gate.log 2>&1; note "rc=$?"
grep -E "^\| |total" $OUT/gate.log | head -12 | tee -a $S
note "== block_sparse bwd, local 0.5, N 255: with and without dropout, two data seeds"
for ds in 1234 77; do
timeout 30 $B verify --kernel block_sparse --pass bwd --batch 1 --heads 2 --seqlen 255 --seqlen-kv 257 --head-dim 64 --dtype bf16 --causal both --dropout 0,0.17 --sparsity local --density 0.5 --data-seed $ds > $OUT/bs-$ds.log 2>&1; note "seed $ds rc=$?"; grep -E "block_sparse" $OUT/bs-$ds.log | cut -c1-130 | tee -a $S
done
note "== flash3 sanitizers"
for tool in memcheck racecheck synccheck; do
  timeout 40 compute-sanitizer --tool $tool --error-exitcode 9 $T "[.flash3_fwd_sanitize]" > $OUT/san-$tool.log 2>&1
  note "$tool rc=$? $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY|test cases' $OUT/san-$tool.log | tr '\n' ' ')"
done
note "== GPU tests flash, standard"
timeout 70 $T "[flash],[standard]" > $OUT/gpu-tests.log 2>&1; note "rc=$? $(grep -E 'test cases' $OUT/gpu-tests.log | tail -1)"
(cd $OUT && tar -czf results.tgz --exclude=results.tgz --exclude=summary.txt * && find . -mindepth 1 -maxdepth 1 ! -name results.tgz ! -name summary.txt -exec rm -rf {} +)
