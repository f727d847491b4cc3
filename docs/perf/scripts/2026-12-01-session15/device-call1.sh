#!/usr/bin/env bash
# Device call 1 (session 15): main (cd8f938, whose 7913e1a was never GPU-run) against two forward dropout variants:
#  drop: the Philox keep flags drawn before the softmax (interleaved with the exponentials), applied after the pack;
#  2wg:  drop, with the D = 64 forward on two consumer warpgroups (232 registers) instead of three.
# (1) Timing alone, three interleaved rounds: the seed point (B32 H8 N2048 D64 fp16) with dropout 0 and 0.2, and
# N 8192 D 64/128 bf16 with dropout 0 and 0.17, causal both. (2) Correctness: drop's [flash3],[dropout],[gqa] tests,
# verify of flash3 (drop) with dropout 0 and 0.17 at every head dim, causal both, sanitizers on a dropout point.
set -uo pipefail
cd .carry && for f in *.xz exp/*.xz; do xz -d -k -f $f; done && chmod +x fa-bench* exp/* && cd ..
B=.carry/fa-bench; T=.carry/exp/gpu-tests-drop
S=$OUT/summary.txt; : > $S
note() { echo "$*" | tee -a $S; }
pack() { (cd $OUT && tar -czf $1.tgz --exclude='*.tgz' --exclude=summary.txt $(ls | grep -v -e '\.tgz$' -e '^summary.txt$') && find . -mindepth 1 -maxdepth 1 ! -name '*.tgz' ! -name summary.txt -exec rm -rf {} +); }
nvidia-smi --query-gpu=name,uuid,clocks.sm,power.limit --format=csv,noheader | tee -a $S
F="--max-time 0.15 --no-counters"
for round in 1 2 3; do
  for v in main drop 2wg; do
    Y=$B; [[ $v != main ]] && Y=.carry/exp/fa-bench-$v
    timeout 30 $Y run --kernel flash3 --batch 32 --heads 8 --seqlen 2048 --head-dim 64 --dtype fp16 --dropout 0,0.2 --pass fwd $F --out $OUT/seed-$v-$round > /dev/null 2>&1
    timeout 40 $Y run --kernel flash3 --tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 64,128 --dtype bf16 --dropout 0,0.17 --causal both --pass fwd $F --out $OUT/big-$v-$round > /dev/null 2>&1
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
vs = ('main', 'drop', '2wg')
print("point (N D dtype causal p) | ms: main drop 2wg | variant/main: drop 2wg | dropout cost vs p 0 of the same binary: main drop 2wg")
for k in sorted({k for k, _ in t}):
    m = {v: statistics.median(t[(k, v)]) for v in vs}
    k0 = k[:5] + (0.0,)
    m0 = {v: statistics.median(t[(k0, v)]) for v in vs}
    print("%s N%-5d D%-3d %s %s p%.2f | %.4f %.4f %.4f | %.3f %.3f | %s" % (k[0], k[1], k[2], k[3], k[4], k[5], m['main'], m['drop'], m['2wg'],
          m['drop'] / m['main'], m['2wg'] / m['main'], ' '.join('%+.1f%%' % (100 * (m[v] / m0[v] - 1)) for v in vs)))
PY
pack bench
X=.carry/exp/fa-bench-drop
(timeout 200 $T "[flash3],[dropout],[gqa]" > $OUT/tests.log 2>&1; echo "drop tests [flash3],[dropout],[gqa] rc=$? $(grep -E 'test cases' $OUT/tests.log | tail -1)" > $OUT/rt.txt) &
(
  timeout 100 $X verify --kernel flash3 --batch 2 --heads 3 --seqlen 17,255,1000,4097 --seqlen-kv 255,1000 --head-dim 64,96,128,256 --dtype fp16,bf16 --causal both --dropout 0,0.17 --pass fwd > $OUT/verify.log 2>&1
  echo "verify flash3 (drop) dropout 0,0.17 rc=$? $(tail -1 $OUT/verify.log)"
  timeout 60 .carry/exp/fa-bench-2wg verify --kernel flash3 --batch 2 --heads 3 --seqlen 17,1000,4097 --seqlen-kv 255,1000 --head-dim 64 --dtype fp16,bf16 --causal both --dropout 0,0.17 --pass fwd > $OUT/verify-2wg.log 2>&1
  echo "verify flash3 (2wg) D64 rc=$? $(tail -1 $OUT/verify-2wg.log)"
  for tool in racecheck synccheck memcheck; do
    timeout 60 compute-sanitizer --tool $tool --error-exitcode 9 $X verify --kernel flash3 --batch 1 --heads 2 --seqlen 300 --seqlen-kv 257 --head-dim 64,128 --causal 1 --pass fwd --dropout 0.1 > $OUT/san-v-$tool.log 2>&1
    echo "$tool dropout verify point rc=$? $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY' $OUT/san-v-$tool.log | tr '\n' ' ') $(tail -1 $OUT/san-v-$tool.log)"
  done
) > $OUT/side.txt 2>&1 &
wait
cat $OUT/rt.txt $OUT/side.txt | tee -a $S
grep -h -B3 -A12 FAILED $OUT/tests.log | head -30 | tee -a $S
pack tests
