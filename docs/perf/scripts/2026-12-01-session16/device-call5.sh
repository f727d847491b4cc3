#!/usr/bin/env bash
# Device call 5 (session 16): dropout at D 128 and 256 under the new counter order. Binaries: old = session 15's build
# (old counter order, plain calls drawn after the pack); hoistall = DropoutRow drawn after the pack (c199095); main =
# plain calls after the pack; HE = DropoutRow drawn before the softmax; PE = plain calls before the softmax (D 64
# is the same in all but old). N 8192, 16k tokens, hidden 2048, D 128/256, bf16, causal both, dropout 0.2, forward,
# five variants, three interleaved rounds.
set -uo pipefail
cd .carry && for f in *.xz exp/*.xz; do xz -d -k -f $f; done && chmod +x fa-bench exp/fa-bench-* && cd ..
B=.carry/fa-bench
S=$OUT/summary.txt; : > $S
nvidia-smi --query-gpu=name,uuid,clocks.sm,power.limit --format=csv,noheader | tee -a $S
F="--max-time 0.15 --no-counters"
BIG="--tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 128,256 --dtype bf16 --causal both --dropout 0.2 --pass fwd"
for round in 1 2 3; do
  for v in old hoistall main HE PE; do
    Y=$B; [[ $v != main ]] && Y=.carry/exp/fa-bench-$v
    timeout 40 $Y run --kernel flash3 $BIG $F --out $OUT/big-$v-$round > /dev/null 2>&1
  done
done
python3 - $OUT <<'PY' | tee -a $S
import csv, sys, glob, collections, statistics
t = collections.defaultdict(list)
for f in sorted(glob.glob(sys.argv[1] + '/*-*-*/results.csv')):
    what, v, _ = f.split('/')[-2].split('-')
    for r in csv.DictReader(open(f)):
        k = (what, int(r['seqlen_q']), int(r['head_dim']), r['dtype'], r['causal'][0], float(r['dropout']))
        t[(k, v)].append(float(r['median_ms']) if r['status'] == 'ok' else float('nan'))
vs = ('old', 'hoistall', 'main', 'HE', 'PE')
print("point (what N D dtype causal p) | ms per round per variant | median variant/old")
for k in sorted({k for k, _ in t}):
    have = [v for v in vs if (k, v) in t]
    m = {v: statistics.median(t[(k, v)]) for v in have}
    print("%s %d D%d %s %s p%.1f | %s | %s" % (k + (' | '.join(v + ' ' + ' '.join('%.4f' % x for x in t[(k, v)]) for v in have),
          ' '.join('%s %.3f' % (v, m[v] / m['old']) for v in have if v != 'old'))))
PY
(cd $OUT && tar -czf bench.tgz big-* && rm -rf big-*)
