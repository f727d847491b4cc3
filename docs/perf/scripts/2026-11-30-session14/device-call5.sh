#!/usr/bin/env bash
# Device call 5 (session 14): branch drop-offload (36ff34e, on 46586b2: the producer warpgroup's warps 1..3 draw the
# forward's dropout keep flags into a shared-memory ring; the consumers load and apply them) against main (be4fac0).
# (1) Timing alone: the seed point with dropout 0 and 0.2, and N 8192 D 64/128 with dropout 0 and 0.17, causal both,
# three interleaved rounds. (2) Correctness in parallel: the branch's [flash3],[dropout],[gqa] tests, verify of
# flash3 with dropout at every head dim, sanitizers on its flash3 forward sanitizer points and a dropout verify point.
set -uo pipefail
cd .carry && for f in *.xz exp/*.xz; do xz -d -k -f $f; done && chmod +x fa-bench exp/* && cd ..
B=.carry/fa-bench; X=.carry/exp/fa-bench-d17; T=.carry/exp/tests-d17
S=$OUT/summary.txt; : > $S
note() { echo "$*" | tee -a $S; }
pack() { (cd $OUT && tar -czf $1.tgz --exclude='*.tgz' --exclude=summary.txt $(ls | grep -v -e '\.tgz$' -e '^summary.txt$') && find . -mindepth 1 -maxdepth 1 ! -name '*.tgz' ! -name summary.txt -exec rm -rf {} +); }
nvidia-smi --query-gpu=name,uuid,clocks.sm,power.limit --format=csv,noheader | tee -a $S
F="--max-time 0.15 --no-counters"
for round in 1 2 3; do
  for v in main d17; do
    Y=$B; [[ $v == d17 ]] && Y=$X
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
print("point (N D dtype causal p) | main ms | d17 ms | d17/main | dropout cost main, d17 (vs p 0 of the same binary)")
for k in sorted({k for k, _ in t}):
    m, d = statistics.median(t[(k, 'main')]), statistics.median(t[(k, 'd17')])
    k0 = k[:5] + (0.0,)
    m0, d0 = statistics.median(t[(k0, 'main')]), statistics.median(t[(k0, 'd17')])
    print("%s N%-5d D%-3d %s %s p%.2f | %.4f | %.4f | %.3f | %+.1f %% %+.1f %%" % (k[0], k[1], k[2], k[3], k[4], k[5], m, d, d / m, 100 * (m / m0 - 1), 100 * (d / d0 - 1)))
PY
pack bench
(timeout 200 $T "[flash3],[dropout],[gqa]" > $OUT/tests.log 2>&1; echo "branch tests [flash3],[dropout],[gqa] rc=$? $(grep -E 'test cases' $OUT/tests.log | tail -1)" > $OUT/rt.txt) &
(
  timeout 90 $X verify --kernel flash3 --batch 2 --heads 3 --seqlen 17,255,1000,4097 --seqlen-kv 255,1000 --head-dim 64,96,128,256 --dtype fp16,bf16 --causal both --dropout 0.17 --pass fwd > $OUT/verify.log 2>&1
  echo "verify flash3 dropout 0.17 rc=$? $(tail -1 $OUT/verify.log)"
  for tool in racecheck synccheck memcheck; do
    timeout 60 compute-sanitizer --tool $tool --error-exitcode 9 $T "[.flash3_fwd_sanitize]" > $OUT/san-$tool.log 2>&1
    echo "$tool [.flash3_fwd_sanitize] rc=$? $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY|test case' $OUT/san-$tool.log | tr '\n' ' ')"
    timeout 60 compute-sanitizer --tool $tool --error-exitcode 9 $X verify --kernel flash3 --batch 1 --heads 2 --seqlen 300 --seqlen-kv 257 --head-dim 64,128 --causal 1 --pass fwd --dropout 0.1 > $OUT/san-v-$tool.log 2>&1
    echo "$tool dropout verify point rc=$? $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY' $OUT/san-v-$tool.log | tr '\n' ' ') $(tail -1 $OUT/san-v-$tool.log)"
  done
) > $OUT/side.txt 2>&1 &
wait
cat $OUT/rt.txt $OUT/side.txt | tee -a $S
grep -h -B3 -A12 FAILED $OUT/tests.log | head -30 | tee -a $S
pack tests
