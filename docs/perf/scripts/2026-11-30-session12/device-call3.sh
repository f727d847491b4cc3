#!/usr/bin/env bash
# Device call 3 (session 12): A/B/C of the flash3 backward on one machine, interleaved.
#   A = call 2's binary (dQ writer warp), B = + the previous step's dQ GEMM per step (dS^T through mbarriers,
#   3 buffers) and the warpgroups started half a step apart, C = B without the stagger.
# B's GPU tests [flash3] and the backward's sanitizer points.
set -uo pipefail
cd .carry && for f in *.xz; do xz -d -k -f $f; done && chmod +x fa-bench-* fa_bench_gpu_tests && cd ..
T=.carry/fa_bench_gpu_tests
S=$OUT/summary.txt; : > $S
note() { echo "$*" | tee -a $S; }
pack() { (cd $OUT && tar -czf $1.tgz --exclude='*.tgz' --exclude=summary.txt $(ls | grep -v -e '\.tgz$' -e '^summary.txt$') && find . -mindepth 1 -maxdepth 1 ! -name '*.tgz' ! -name summary.txt -exec rm -rf {} +); }
nvidia-smi --query-gpu=name,uuid,clocks.sm,power.limit --format=csv,noheader | tee -a $S
for round in 1 2; do
  for v in A B C; do
    timeout 100 .carry/fa-bench-$v run --kernel flash3,cudnn --tokens 16384 --hidden 2048 --seqlen 1024,8192 --head-dim 64,128 --dtype bf16 --causal both --pass bwd,fwdbwd --max-time 0.1 --no-counters --out $OUT/ab-$v-$round > $OUT/ab-$v-$round.log 2>&1
    note "run $v round $round rc=$?"
  done
done
python3 - $OUT <<'PY' | tee -a $S
import csv, sys, glob, collections, statistics
t = collections.defaultdict(lambda: collections.defaultdict(list))
for f in glob.glob(sys.argv[1] + '/ab-*/results.csv'):
    v = f.split('/ab-')[1][0]
    for r in csv.DictReader(open(f)):
        if r['status'] != 'ok': continue
        key = (r['pass'], int(r['head_dim']), r['causal'][0], int(r['seqlen_q']))
        t[key][(r['kernel'], v)].append(float(r['median_ms']))
for k in sorted(t):
    d = t[k]; c = statistics.median(d[('cudnn', 'A')] + d[('cudnn', 'B')] + d[('cudnn', 'C')])
    print("%-6s D%d causal=%s N=%-5d cudnn %.3f ms | cudnn/flash3 A %.3f B %.3f C %.3f" % (k + (c,) + tuple(c / statistics.median(d[('flash3', v)]) if d[('flash3', v)] else float('nan') for v in 'ABC')))
PY
pack ab
note "== B: GPU tests [flash3], [dropout]"
timeout 200 $T "[flash3],[dropout]" -d yes > $OUT/tests.log 2>&1; note "rc=$? $(grep -E 'test cases' $OUT/tests.log | tail -1)"
grep -B3 -A15 FAILED $OUT/tests.log | head -40 | tee -a $S
for tool in racecheck synccheck; do
  timeout 60 compute-sanitizer --tool $tool --error-exitcode 9 $T "[.flash3_bwd_sanitize]" > $OUT/san-$tool.log 2>&1
  note "$tool rc=$? $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY|test cases' $OUT/san-$tool.log | tr '\n' ' ')"
done
pack tests
