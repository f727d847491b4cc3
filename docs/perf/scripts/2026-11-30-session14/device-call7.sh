#!/usr/bin/env bash
# Device call 7 (session 14): (1) the upload regression test ([operands], tests/gpu/test_operands_upload.cu) with
# the fix and, as its negative control, a build without the wait in measure/operands.cpp; (2) experiment
# exp-drop-tiles: the D64 forward with dropout on other tiles than without (2 consumer warpgroups x BN 128, or 3 x
# BN 64) against main (3 x 128) at the seed point and N 8192, three interleaved rounds; verify of each.
set -uo pipefail
cd .carry && for f in *.xz exp/*.xz; do xz -d -k -f $f; done && chmod +x fa-bench fa_bench_gpu_tests exp/* && cd ..
B=.carry/fa-bench; E=.carry/exp
S=$OUT/summary.txt; : > $S
note() { echo "$*" | tee -a $S; }
pack() { (cd $OUT && tar -czf $1.tgz --exclude='*.tgz' --exclude=summary.txt $(ls | grep -v -e '\.tgz$' -e '^summary.txt$') && find . -mindepth 1 -maxdepth 1 ! -name '*.tgz' ! -name summary.txt -exec rm -rf {} +); }
nvidia-smi --query-gpu=name,uuid,clocks.sm,power.limit --format=csv,noheader | tee -a $S
timeout 60 .carry/fa_bench_gpu_tests "[operands]" > $OUT/operands-fix.log 2>&1
note "[operands] with the fix rc=$? $(grep -E 'test case|stale_rounds' $OUT/operands-fix.log | tail -2 | tr '\n' ' ')"
timeout 60 $E/tests-nofix "[operands]" > $OUT/operands-nofix.log 2>&1
note "[operands] without the wait (negative control) rc=$? $(grep -E 'test case|with expansion' -A1 $OUT/operands-nofix.log | tail -3 | tr '\n' ' ')"
F="--max-time 0.15 --no-counters"
for round in 1 2 3; do
  for v in main 2wg bn64; do
    Y=$B; [[ $v != main ]] && Y=$E/fa-bench-$v
    timeout 30 $Y run --kernel flash3 --batch 32 --heads 8 --seqlen 2048 --head-dim 64 --dtype fp16 --dropout 0,0.2 --pass fwd $F --out $OUT/seed-$v-$round > /dev/null 2>&1
    timeout 30 $Y run --kernel flash3 --tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 64 --dtype bf16 --dropout 0.17 --causal both --pass fwd $F --out $OUT/big-$v-$round > /dev/null 2>&1
  done
done
python3 - $OUT <<'PY' | tee -a $S
import csv, sys, glob, collections, statistics
t = collections.defaultdict(list)
for f in sorted(glob.glob(sys.argv[1] + '/*-*-*/results.csv')):
    what, v, _ = f.split('/')[-2].split('-')
    for r in csv.DictReader(open(f)):
        t[((what, int(r['seqlen_q']), r['dtype'], r['causal'][0], float(r['dropout'])), v)].append(float(r['median_ms']))
print("D64 point | main ms | 2wg ms (/main) | bn64 ms (/main)")
for k in sorted({k for k, _ in t}):
    m = statistics.median(t[(k, 'main')]); a = statistics.median(t[(k, '2wg')]); b = statistics.median(t[(k, 'bn64')])
    print("%s N%d %s causal=%s p%.2f | %.4f | %.4f (%.3f) | %.4f (%.3f)" % (k + (m, a, a / m, b, b / m)))
PY
for v in 2wg bn64; do
  timeout 60 $E/fa-bench-$v verify --kernel flash3 --batch 2 --heads 3 --seqlen 17,255,1000,4097 --seqlen-kv 255,1000 --head-dim 64 --dtype fp16,bf16 --causal both --dropout 0,0.17 --pass fwd > $OUT/verify-$v.log 2>&1
  note "verify $v rc=$? $(tail -1 $OUT/verify-$v.log)"
done
pack all
