#!/usr/bin/env bash
# Device call 1 (session 13): main with the flash3-gqa and cudnn-fp8o branches merged (c45a6d0 + the reference
# on all cores). Foreground: the whole GPU suite (its [gqa], [flash3] and [fp8] cases cover both branches).
# Background, at the same time: the branches' verify commands, then the sanitizers on their small points, then
# the llm-shapes sweep as a dry run.
set -uo pipefail
cd .carry && for f in *.xz; do xz -d -k -f $f; done && chmod +x fa-bench fa_bench_gpu_tests && cd ..
B=.carry/fa-bench; T=.carry/fa_bench_gpu_tests
S=$OUT/summary.txt; : > $S
note() { echo "$*" | tee -a $S; }
pack() { (cd $OUT && tar -czf $1.tgz --exclude='*.tgz' --exclude=summary.txt $(ls | grep -v -e '\.tgz$' -e '^summary.txt$') && find . -mindepth 1 -maxdepth 1 ! -name '*.tgz' ! -name summary.txt -exec rm -rf {} +); }
nvidia-smi --query-gpu=name,uuid,clocks.sm,power.limit --format=csv,noheader | tee -a $S
side() {
  timeout 150 $B verify --kernel flash3 --batch 2 --heads 32 --kv-heads 8,1 --seqlen 17,130,1000 --seqlen-kv 130,1000 \
    --head-dim 64,128 --dtype bf16 --causal both --pass fwd,bwd > $OUT/verify-gqa.log 2>&1
  echo "verify flash3 gqa rc=$? $(tail -1 $OUT/verify-gqa.log)"
  timeout 120 $B verify --kernel flash3,cudnn --dtype fp8 --batch 2 --heads 4 --seqlen 17,255,1000 --seqlen-kv 255,1000 \
    --head-dim 64,128,256 --causal both > $OUT/verify-fp8.log 2>&1
  echo "verify fp8 rc=$? $(tail -1 $OUT/verify-fp8.log)"
  for tool in memcheck racecheck synccheck; do
    timeout 60 compute-sanitizer --tool $tool --error-exitcode 9 $T "[.flash3_gqa_sanitize]" > $OUT/san-gqa-$tool.log 2>&1
    echo "$tool gqa rc=$? $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY|test cases' $OUT/san-gqa-$tool.log | tr '\n' ' ')"
  done
  timeout 90 compute-sanitizer --tool memcheck --error-exitcode 9 $B verify --kernel flash3,cudnn --dtype fp8 --batch 1 \
    --heads 2 --seqlen 17,255 --seqlen-kv 255 --head-dim 64,128 --causal both > $OUT/san-fp8-memcheck.log 2>&1
  echo "memcheck fp8 rc=$? $(grep -E 'ERROR SUMMARY' $OUT/san-fp8-memcheck.log | tr '\n' ' ') $(tail -1 $OUT/san-fp8-memcheck.log)"
  timeout 30 $B run --sweep llm-shapes --dry-run > $OUT/llm-shapes-dry.log 2>&1
  echo "llm-shapes dry-run rc=$? $(tail -2 $OUT/llm-shapes-dry.log | tr '\n' ' ')"
}
side > $OUT/side.txt 2>&1 &
note "== GPU tests (whole suite)"
timeout 420 $T -d yes > $OUT/tests.log 2>&1; note "rc=$? $(grep -E 'test cases' $OUT/tests.log | tail -1)"
grep -B3 -A15 FAILED $OUT/tests.log | head -60 | tee -a $S
grep -E '^[0-9.]+ s: ' $OUT/tests.log | sort -rn | head -8 | tee -a $S
wait
cat $OUT/side.txt | tee -a $S
grep -h FAIL $OUT/verify-*.log | head -20 | tee -a $S
pack tests
