#!/usr/bin/env bash
# Device call 10 (session 14): experiment exp-fp8-pp: the fp8 forward at D 128 without ping-pong between its two
# consumer warpgroups (call 8: 11 % of the stall samples at the ping-pong barrier), against main, three interleaved
# rounds, cuDNN fp8 in each; verify of the variant.
set -uo pipefail
cd .carry && for f in *.xz exp/*.xz; do xz -d -k -f $f; done && chmod +x fa-bench exp/* && cd ..
B=.carry/fa-bench; X=.carry/exp/fa-bench-nopp
S=$OUT/summary.txt; : > $S
note() { echo "$*" | tee -a $S; }
pack() { (cd $OUT && tar -czf $1.tgz --exclude='*.tgz' --exclude=summary.txt $(ls | grep -v -e '\.tgz$' -e '^summary.txt$') && find . -mindepth 1 -maxdepth 1 ! -name '*.tgz' ! -name summary.txt -exec rm -rf {} +); }
nvidia-smi --query-gpu=name,uuid,clocks.sm,power.limit --format=csv,noheader | tee -a $S
P="--dtype fp8 --tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 128 --causal both --pass fwd --max-time 0.15 --no-counters"
for round in 1 2 3; do
  timeout 40 $B run --kernel flash3,cudnn $P --out $OUT/pp-main-$round > /dev/null 2>&1
  timeout 40 $X run --kernel flash3 $P --out $OUT/pp-nopp-$round > /dev/null 2>&1
done
python3 - $OUT <<'PY' | tee -a $S
import csv, sys, glob, collections, statistics
t = collections.defaultdict(list)
for f in sorted(glob.glob(sys.argv[1] + '/pp-*-*/results.csv')):
    v = f.split('/')[-2].split('-')[1]
    for r in csv.DictReader(open(f)):
        t[(r['causal'][0], r['kernel'] if r['kernel'] == 'cudnn' else v)].append(float(r['median_ms']))
for c in ('f', 't'):
    m, n, d = (statistics.median(t[(c, k)]) for k in ('main', 'nopp', 'cudnn'))
    print("fp8 D128 N8192 causal=%s: ping-pong %.4f ms, without %.4f ms (%.3f); cudnn/flash3 %.3f -> %.3f" % (c, m, n, n / m, d / m, d / n))
PY
timeout 60 $X verify --kernel flash3 --dtype fp8 --batch 2 --heads 4 --seqlen 17,255,1000,4097 --seqlen-kv 255,1000 --head-dim 128 --causal both > $OUT/verify.log 2>&1
note "verify fp8 D128 without ping-pong rc=$? $(tail -1 $OUT/verify.log)"
pack all
