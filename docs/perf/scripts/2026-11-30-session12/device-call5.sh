#!/usr/bin/env bash
# Device call 5 (session 12): main with varlen merged (421ac33). varlen GPU tests, verify and bar; decode
# points verified on cudnn and standard too; the two corrected tests; flash3 causal backward, call 3's B
# binary against this one, interleaved (call 4 read fwd+bwd D128 causal 0.875 where call 3 read 0.956).
set -uo pipefail
cd .carry && for f in *.xz; do xz -d -k -f $f; done && chmod +x fa-bench* fa_bench_gpu_tests && cd ..
B=.carry/fa-bench; T=.carry/fa_bench_gpu_tests
S=$OUT/summary.txt; : > $S
note() { echo "$*" | tee -a $S; }
pack() { (cd $OUT && tar -czf $1.tgz --exclude='*.tgz' --exclude=summary.txt $(ls | grep -v -e '\.tgz$' -e '^summary.txt$') && find . -mindepth 1 -maxdepth 1 ! -name '*.tgz' ! -name summary.txt -exec rm -rf {} +); }
nvidia-smi --query-gpu=name,uuid,clocks.sm,power.limit --format=csv,noheader | tee -a $S
timeout 100 $T "[varlen]" -d yes > $OUT/tests-varlen.log 2>&1; note "[varlen] rc=$? $(grep -E 'test cases' $OUT/tests-varlen.log | tail -1)"
grep -B3 -A12 FAILED $OUT/tests-varlen.log | head -30 | tee -a $S
grep -A3 "warning:" $OUT/tests-varlen.log | head -12 | tee -a $S
timeout 60 $T "fp8 fwd: cudnn*,flash3 fwd: unsupported*" -d yes > $OUT/tests-fixed.log 2>&1; note "fixed tests rc=$? $(grep -E 'test cases' $OUT/tests-fixed.log | tail -1)"
grep -A3 "warning:" $OUT/tests-fixed.log | head -6 | tee -a $S
timeout 100 $B verify --kernel flash,cudnn,standard --varlen fixed-list:1,17,1000,4097 --heads 2 --head-dim 64,128 --dtype fp16,bf16 --causal both --pass fwd,bwd > $OUT/varlen-verify.log 2>&1; note "varlen verify rc=$? $(tail -1 $OUT/varlen-verify.log)"
grep -E "FAIL" $OUT/varlen-verify.log | head -6 | tee -a $S
timeout 60 $B verify --kernel flash,cudnn --varlen uniform:1:2000 --batch 8 --heads 4 --kv-heads 2 --dtype bf16 --causal both --pass fwd,bwd > $OUT/varlen-gqa-verify.log 2>&1; note "varlen gqa verify rc=$? $(tail -1 $OUT/varlen-gqa-verify.log)"
timeout 60 $B verify --kernel cudnn,standard --seqlen 1,4,16 --seqlen-kv 17,4097,65536 --heads 32 --kv-heads 8,1 --head-dim 64 --dtype bf16 --causal both > $OUT/decode-verify-others.log 2>&1; note "decode verify cudnn,standard rc=$? $(tail -1 $OUT/decode-verify-others.log)"
grep -E "FAIL" $OUT/decode-verify-others.log | head -6 | tee -a $S
pack tests
FA_BENCH=$B timeout 150 bash docs/perf/scripts/varlen-bar.sh $OUT/varlen-bar > $OUT/varlen-bar.log 2>&1; note "varlen bar rc=$?"
tail -10 $OUT/varlen-bar.log | tee -a $S
for round in 1 2 3; do
  for v in B M; do
    bin=$B; [[ $v == B ]] && bin=.carry/fa-bench-B
    timeout 40 $bin run --kernel flash3,cudnn --tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 128 --dtype bf16 --causal 1 --pass bwd,fwdbwd --max-time 0.1 --no-counters --out $OUT/causal-$v-$round > /dev/null 2>&1
  done
done
python3 - $OUT <<'PY' | tee -a $S
import csv, sys, glob
for f in sorted(glob.glob(sys.argv[1] + '/causal-*/results.csv')):
    d = {(r['kernel'], r['pass']): float(r['median_ms']) for r in csv.DictReader(open(f)) if r['status'] == 'ok'}
    print(f.split('/')[-2], ' '.join('%s %s %.3f ms (cudnn/flash3 %.3f)' % (p, 'f3', d[('flash3', p)], d[('cudnn', p)] / d[('flash3', p)]) for p in ('bwd', 'fwdbwd')))
PY
pack bars
