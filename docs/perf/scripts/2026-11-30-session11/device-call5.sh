#!/usr/bin/env bash
# Device call 5 (session 11): the verify metric for all-zero references and the flash3 backward's per-thread
# stage release ([flash3] tests, racecheck/memcheck/synccheck), the GQA merge ([gqa] tests, verify),
# flash3 bwd speed after the release change.
set -uo pipefail
cd .carry && for f in *.xz; do xz -d -k -f $f; done && chmod +x fa-bench fa_bench_gpu_tests && cd ..
B=.carry/fa-bench; T=.carry/fa_bench_gpu_tests
S=$OUT/summary.txt; : > $S
note() { echo "$*" | tee -a $S; }
pack() { (cd $OUT && tar -czf $1.tgz --exclude='*.tgz' --exclude=summary.txt $(ls | grep -v -e '\.tgz$' -e '^summary.txt$') && find . -mindepth 1 -maxdepth 1 ! -name '*.tgz' ! -name summary.txt -exec rm -rf {} +); }
nvidia-smi --query-gpu=name,uuid,clocks.sm,power.limit --format=csv,noheader | tee -a $S
note "== GPU tests [flash3]"
SECONDS=0; timeout 70 $T "[flash3]" > $OUT/flash3-tests.log 2>&1; note "rc=$? ${SECONDS}s $(grep -E 'test cases' $OUT/flash3-tests.log | tail -1)"
grep -B2 -A12 FAILED $OUT/flash3-tests.log | head -30 | tee -a $S
note "== racecheck, flash3 backward small points"
SECONDS=0; timeout 35 compute-sanitizer --tool racecheck --error-exitcode 9 $T "[.flash3_bwd_sanitize]" > $OUT/san-racecheck.log 2>&1
note "racecheck rc=$? ${SECONDS}s $(grep -E 'RACECHECK SUMMARY|test cases' $OUT/san-racecheck.log | tr '\n' ' ')"
pack flash3
note "== GPU tests [gqa]"
SECONDS=0; timeout 45 $T "[gqa]" > $OUT/gqa-tests.log 2>&1; note "rc=$? ${SECONDS}s $(grep -E 'test cases' $OUT/gqa-tests.log | tail -1)"
grep -B2 -A12 FAILED $OUT/gqa-tests.log | head -30 | tee -a $S
SECONDS=0; timeout 20 $B verify --kernel flash,cudnn,standard,flash3 --batch 1 --heads 32 --kv-heads 8,1 --seqlen 255,1000 --head-dim 128 --dtype bf16 --causal both --pass fwd,bwd > $OUT/gqa-verify.log 2>&1; note "verify rc=$? ${SECONDS}s $(tail -1 $OUT/gqa-verify.log)"
grep FAIL $OUT/gqa-verify.log | head -5 | tee -a $S
pack gqa
note "== flash3 bwd speed after the per-thread release (bf16, 16k tokens, hidden 2048, N 8192)"
SECONDS=0; timeout 20 $B run --kernel flash3,cudnn --tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 64,128 --dtype bf16 --causal both --pass bwd,fwdbwd --max-time 0.15 --no-counters --out $OUT/speed > /dev/null 2>&1; note "rc=$? ${SECONDS}s"
python3 -c "
import csv, collections
t = collections.defaultdict(dict)
for r in csv.DictReader(open('$OUT/speed/results.csv')): t[(r['pass'], r['head_dim'], r['causal'])][r['kernel']] = r
for k in sorted(t):
    f = t[k]['flash3']; c = t[k]['cudnn']
    print(k, 'flash3 %.0f cudnn %.0f TFLOP/s cudnn/flash3 %.3f' % (float(f['tflops']), float(c['tflops']), float(c['median_ms'])/float(f['median_ms'])))
" | tee -a $S
note "== synccheck"
for tool in synccheck; do
  SECONDS=0; timeout 25 compute-sanitizer --tool $tool --error-exitcode 9 $T "[.flash3_bwd_sanitize]" > $OUT/san-$tool.log 2>&1
  note "$tool rc=$? ${SECONDS}s $(grep -E 'ERROR SUMMARY|test cases' $OUT/san-$tool.log | tr '\n' ' ')"
done
pack rest
