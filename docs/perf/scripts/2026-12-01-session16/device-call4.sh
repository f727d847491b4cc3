#!/usr/bin/env bash
# Device call 4 (session 16): where DropoutRow pays. Binaries: old = session 15's build; hoistall = DropoutRow at every
# head dim (c199095); main = DropoutRow with three consumer warpgroups only (16-bit D 64), plain calls (in the new
# counter order) elsewhere; alt = main plus D 256. (1) N 8192, 16k tokens, hidden 2048, D 128/256, bf16, causal
# both, dropout 0.2, forward: four variants, three interleaved rounds. (2) The seed point, dropout 0 and 0.2: old and
# main, three rounds. (3) GPU tests [flash3],[dropout] and racecheck / synccheck of a D 64 / D 128 dropout point (main).
set -uo pipefail
cd .carry && for f in *.xz exp/*.xz; do xz -d -k -f $f; done && chmod +x fa-bench fa_bench_gpu_tests exp/fa-bench-* && cd ..
B=.carry/fa-bench; T=.carry/fa_bench_gpu_tests
S=$OUT/summary.txt; : > $S
note() { echo "$*" | tee -a $S; }
pack() { (cd $OUT && tar -czf $1.tgz --exclude='*.tgz' --exclude=summary.txt $(ls | grep -v -e '\.tgz$' -e '^summary.txt$') && find . -mindepth 1 -maxdepth 1 ! -name '*.tgz' ! -name summary.txt -exec rm -rf {} +); }
nvidia-smi --query-gpu=name,uuid,clocks.sm,power.limit --format=csv,noheader | tee -a $S
F="--max-time 0.15 --no-counters"
BIG="--tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 128,256 --dtype bf16 --causal both --dropout 0.2 --pass fwd"
SEED="--batch 32 --heads 8 --seqlen 2048 --head-dim 64 --dtype fp16 --dropout 0,0.2 --pass fwd"
for round in 1 2 3; do
  for v in old hoistall main alt; do
    Y=$B; [[ $v != main ]] && Y=.carry/exp/fa-bench-$v
    timeout 40 $Y run --kernel flash3 $BIG $F --out $OUT/big-$v-$round > /dev/null 2>&1
    [[ $v == old || $v == main ]] && timeout 30 $Y run --kernel flash3 $SEED $F --out $OUT/seed-$v-$round > /dev/null 2>&1
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
vs = ('old', 'hoistall', 'main', 'alt')
print("point (what N D dtype causal p) | ms per round per variant (old hoistall main alt) | median variant/old")
for k in sorted({k for k, _ in t}):
    have = [v for v in vs if (k, v) in t]
    m = {v: statistics.median(t[(k, v)]) for v in have}
    print("%s %d D%d %s %s p%.1f | %s | %s" % (k + (' | '.join(v + ' ' + ' '.join('%.4f' % x for x in t[(k, v)]) for v in have),
          ' '.join('%s %.3f' % (v, m[v] / m['old']) for v in have if v != 'old'))))
PY
pack bench
timeout 300 $T "[flash3],[dropout]" > $OUT/tests.log 2>&1; note "tests rc=$? $(grep -E 'test cases' $OUT/tests.log | tail -1)"
grep -h -B3 -A12 FAILED $OUT/tests.log | head -40 | tee -a $S
for tool in racecheck synccheck; do
  timeout 100 compute-sanitizer --tool $tool --error-exitcode 9 $B verify --kernel flash3 --batch 1 --heads 2 --seqlen 300 --seqlen-kv 257 --head-dim 64,128 --causal both --dropout 0.17 --pass fwd --dtype bf16 > $OUT/san-$tool.log 2>&1
  note "$tool D64/128 dropout rc=$? $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY' $OUT/san-$tool.log | sort | uniq -c | tr '\n' ' ') $(tail -1 $OUT/san-$tool.log)"
done
pack tests
