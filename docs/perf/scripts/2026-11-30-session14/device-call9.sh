#!/usr/bin/env bash
# Device call 9 (session 14): experiment exp-fp8-stages: the fp8 forward at D 64/128 with 3 or 4 K / V^T / raw-V
# stages instead of 2 (call 8: its consumers wait on the V^T pipeline), against main, three interleaved rounds, and
# cuDNN fp8 once per round; verify of each variant's fp8 points.
set -uo pipefail
cd .carry && for f in *.xz exp/*.xz; do xz -d -k -f $f; done && chmod +x fa-bench exp/* && cd ..
B=.carry/fa-bench; E=.carry/exp
S=$OUT/summary.txt; : > $S
note() { echo "$*" | tee -a $S; }
pack() { (cd $OUT && tar -czf $1.tgz --exclude='*.tgz' --exclude=summary.txt $(ls | grep -v -e '\.tgz$' -e '^summary.txt$') && find . -mindepth 1 -maxdepth 1 ! -name '*.tgz' ! -name summary.txt -exec rm -rf {} +); }
nvidia-smi --query-gpu=name,uuid,clocks.sm,power.limit --format=csv,noheader | tee -a $S
P="--dtype fp8 --tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 64,128 --causal both --pass fwd --max-time 0.15 --no-counters"
for round in 1 2 3; do
  for v in s2 s3 s4; do
    Y=$B; [[ $v != s2 ]] && Y=$E/fa-bench-fp8$v
    timeout 40 $Y run --kernel flash3 $P --out $OUT/fp8-$v-$round > /dev/null 2>&1
  done
  timeout 40 $B run --kernel cudnn $P --out $OUT/fp8-cudnn-$round > /dev/null 2>&1
done
python3 - $OUT <<'PY' | tee -a $S
import csv, sys, glob, collections, statistics
t = collections.defaultdict(list)
for f in sorted(glob.glob(sys.argv[1] + '/fp8-*-*/results.csv')):
    v = f.split('/')[-2].split('-')[1]
    for r in csv.DictReader(open(f)):
        t[((int(r['head_dim']), r['causal'][0]), v)].append(float(r['median_ms']) if r['status'] == 'ok' else float('nan'))
print("fp8 fwd N8192 D causal | 2 stages ms | 3 / 2 | 4 / 2 | cudnn / flash3: 2, 3, 4 stages")
for k in sorted({k for k, _ in t}):
    m = {v: statistics.median(t[(k, v)]) for v in ('s2', 's3', 's4', 'cudnn')}
    print("D%-3d %s | %.4f | %.3f | %.3f | %.3f %.3f %.3f" % (k[0], k[1], m['s2'], m['s3'] / m['s2'], m['s4'] / m['s2'], m['cudnn'] / m['s2'], m['cudnn'] / m['s3'], m['cudnn'] / m['s4']))
PY
for v in s3 s4; do
  timeout 60 $E/fa-bench-fp8$v verify --kernel flash3 --dtype fp8 --batch 2 --heads 4 --seqlen 17,255,1000,4097 --seqlen-kv 255,1000 --head-dim 64,128,256 --causal both > $OUT/verify-$v.log 2>&1
  note "verify fp8 $v rc=$? $(tail -1 $OUT/verify-$v.log)"
done
pack all
