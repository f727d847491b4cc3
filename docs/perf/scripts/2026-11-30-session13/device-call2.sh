#!/usr/bin/env bash
# Device call 2 (session 13): the flash3 forward computes a block's dropout keep flags while it waits for that
# block's S GEMM (parked in shared memory), instead of after the softmax. Old (.carry/old: the call-1 build) and
# new binaries interleaved, three rounds: the seed point with and without dropout (fwd), D128 with dropout, and
# the forward bars without dropout (the shared-memory plan grew). Then the dropout/flash3 GPU tests, a verify of
# flash3 with dropout 0.17, and racecheck/memcheck on a small dropout point.
set -uo pipefail
cd .carry && for f in *.xz old/*.xz; do xz -d -k -f $f; done && chmod +x fa-bench fa_bench_gpu_tests old/fa-bench && cd ..
B=.carry/fa-bench; A=.carry/old/fa-bench; T=.carry/fa_bench_gpu_tests
S=$OUT/summary.txt; : > $S
note() { echo "$*" | tee -a $S; }
pack() { (cd $OUT && tar -czf $1.tgz --exclude='*.tgz' --exclude=summary.txt $(ls | grep -v -e '\.tgz$' -e '^summary.txt$') && find . -mindepth 1 -maxdepth 1 ! -name '*.tgz' ! -name summary.txt -exec rm -rf {} +); }
nvidia-smi --query-gpu=name,uuid,clocks.sm,power.limit --format=csv,noheader | tee -a $S
F="--max-time 0.15 --no-counters"
for round in 1 2 3; do
  for v in old new; do
    X=$B; [[ $v == old ]] && X=$A
    $X run --kernel flash3 --batch 32 --heads 8 --seqlen 2048 --head-dim 64 --dtype fp16 --dropout 0,0.2 --pass fwd $F --out $OUT/seed-$v-$round > /dev/null 2>&1
    $X run --kernel flash3 --tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 64,128 --dtype bf16 --dropout 0,0.17 --causal both --pass fwd $F --out $OUT/bars-$v-$round > /dev/null 2>&1
  done
done
python3 - $OUT <<'PY' | tee -a $S
import csv, sys, glob, collections, statistics
t = collections.defaultdict(list)
for f in sorted(glob.glob(sys.argv[1] + '/*-*-*/results.csv')):
    v = f.split('/')[-2].split('-')[1]
    for r in csv.DictReader(open(f)):
        k = (int(r['batch']), int(r['head_dim']), r['causal'], r['dropout'])
        t[(k, v)].append(float(r['median_ms']) if r['status'] == 'ok' else float('nan'))
for k in sorted({k for k, _ in t}):
    o, n = t[(k, 'old')], t[(k, 'new')]
    print("B%-3d D%-3d causal=%-5s p=%-4s old %s new %s  new/old %.3f" % (k[0], k[1], k[2], k[3], ' '.join('%.3f' % x for x in o), ' '.join('%.3f' % x for x in n), statistics.median(n) / statistics.median(o)))
PY
note "== tests [dropout], [flash3]"
timeout 200 $T -d yes "[dropout],[flash3]" > $OUT/tests.log 2>&1; note "rc=$? $(grep -E 'test cases' $OUT/tests.log | tail -1)"
grep -B3 -A15 FAILED $OUT/tests.log | head -40 | tee -a $S
timeout 100 $B verify --kernel flash3 --batch 2 --heads 3 --seqlen 1,17,255,1000 --seqlen-kv 17,1000 --head-dim 64,96,128,256 --dtype bf16,fp16 --causal both --dropout 0.17 --pass fwd,bwd > $OUT/verify.log 2>&1
note "verify dropout rc=$? $(tail -1 $OUT/verify.log)"; grep FAIL $OUT/verify.log | head -5 | tee -a $S
for tool in memcheck racecheck synccheck; do
  timeout 60 compute-sanitizer --tool $tool --error-exitcode 9 $B verify --kernel flash3 --batch 1 --heads 2 --seqlen 300 --seqlen-kv 257 --head-dim 64,128 --causal 1 --pass fwd --dropout 0.1 > $OUT/san-$tool.log 2>&1
  note "$tool rc=$? $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY|passed, .* failed' $OUT/san-$tool.log | tr '\n' ' ')"
done
pack call2
