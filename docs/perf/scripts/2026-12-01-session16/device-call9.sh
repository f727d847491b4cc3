#!/usr/bin/env bash
# Device call 9 (session 16): fp8 D 128 with 192 keys per block (V^T: one 128-key region and half of another) against
# 128 (base, 5867da0). (1) fp8 D 128 (and D 64/256, which do
# not change, as a control), N 8192, 16k tokens, hidden 2048, causal both, forward, three interleaved rounds; cuDNN
# once. (2) verify fp8 at every head dim over ragged lengths; GPU tests [fp8],[flash3]; memcheck, racecheck,
# synccheck of fp8 D 128 points.
set -uo pipefail
cd .carry && for f in *.xz exp/*.xz; do xz -d -k -f $f; done && chmod +x fa-bench fa_bench_gpu_tests exp/fa-bench-* && cd ..
B=.carry/fa-bench; T=.carry/fa_bench_gpu_tests
S=$OUT/summary.txt; : > $S
note() { echo "$*" | tee -a $S; }
pack() { (cd $OUT && tar -czf $1.tgz --exclude='*.tgz' --exclude=summary.txt $(ls | grep -v -e '\.tgz$' -e '^summary.txt$') && find . -mindepth 1 -maxdepth 1 ! -name '*.tgz' ! -name summary.txt -exec rm -rf {} +); }
nvidia-smi --query-gpu=name,uuid,clocks.sm,power.limit --format=csv,noheader | tee -a $S
F="--max-time 0.15 --no-counters"
P="--tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 64,128,256 --dtype fp8 --causal both --pass fwd"
timeout 60 $B run --kernel cudnn $P $F --out $OUT/fp8-cudnn-1 > /dev/null 2>&1
for round in 1 2 3; do
  for v in base main; do
    Y=$B; [[ $v != main ]] && Y=.carry/exp/fa-bench-$v
    timeout 40 $Y run --kernel flash3 $P $F --out $OUT/fp8-$v-$round > /dev/null 2>&1
  done
done
python3 - $OUT <<'PY' | tee -a $S
import csv, sys, glob, collections, statistics
t = collections.defaultdict(list); tf = collections.defaultdict(list)
for f in sorted(glob.glob(sys.argv[1] + '/fp8-*-*/results.csv')):
    _, v, _ = f.split('/')[-2].split('-')
    for r in csv.DictReader(open(f)):
        k = (int(r['head_dim']), r['causal'][0])
        ok = r['status'] == 'ok'
        t[(k, v)].append(float(r['median_ms']) if ok else float('nan'))
        tf[(k, v)].append(float(r['tflops']) if ok else float('nan'))
print("fp8 N8192 D causal | ms per round: base | main | main/base | TFLOP/s base main cudnn | cudnn/base cudnn/main")
for k in sorted({k for k, _ in t}):
    b, m, c = (statistics.median(t[(k, v)]) for v in ('base', 'main', 'cudnn'))
    print("D%d %s | %s | %s | %.3f | %.0f %.0f %.0f | %.3f %.3f" % (k + (' '.join('%.4f' % x for x in t[(k, 'base')]), ' '.join('%.4f' % x for x in t[(k, 'main')]),
          m / b, statistics.median(tf[(k, 'base')]), statistics.median(tf[(k, 'main')]), statistics.median(tf[(k, 'cudnn')]), c / b, c / m)))
PY
pack bench
(timeout 300 $T "[fp8],[flash3]" > $OUT/tests.log 2>&1; echo "tests rc=$? $(grep -E 'test cases' $OUT/tests.log | tail -1)" > $OUT/rt.txt) &
(
  timeout 120 $B verify --kernel flash3 --batch 2 --heads 3 --seqlen 1,17,255,1000,4097 --seqlen-kv 255,1000 --head-dim 64,128,256 --dtype fp8 --causal both --pass fwd > $OUT/verify.log 2>&1
  echo "verify flash3 fp8 rc=$? $(tail -1 $OUT/verify.log)"
  for tool in memcheck racecheck synccheck; do
    timeout 100 compute-sanitizer --tool $tool --error-exitcode 9 $B verify --kernel flash3 --batch 1 --heads 2 --seqlen 300 --seqlen-kv 257 --head-dim 128 --causal both --pass fwd --dtype fp8 > $OUT/san-$tool.log 2>&1
    echo "$tool fp8 D128 rc=$? $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY' $OUT/san-$tool.log | sort | uniq -c | tr '\n' ' ') $(tail -1 $OUT/san-$tool.log)"
  done
) > $OUT/side.txt 2>&1 &
wait
cat $OUT/rt.txt $OUT/side.txt | tee -a $S
grep -h -B3 -A12 FAILED $OUT/tests.log | head -40 | tee -a $S
pack tests
