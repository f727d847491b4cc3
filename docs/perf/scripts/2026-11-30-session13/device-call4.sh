#!/usr/bin/env bash
# Device call 4 (session 13): main with the ring-flash3 branch merged and the flash3 backward reading lse2 before
# its GEMMs. A/B of the backward against the session-start build (.carry/old), interleaved, three rounds; the
# [flash3] and [ring] GPU tests (ring also with FA_RING_STEPS=flash), verify and memcheck of ring on flash3 steps,
# and ring's bar against flash3 (1 GPU).
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
    $X run --kernel flash3 --tokens 16384 --hidden 2048 --seqlen 1024,8192 --head-dim 64,128 --dtype bf16 --causal both --pass bwd $F --out $OUT/bwd-$v-$round > /dev/null 2>&1
  done
done
timeout 60 $B run --kernel cudnn --tokens 16384 --hidden 2048 --seqlen 1024,8192 --head-dim 64,128 --dtype bf16 --causal both --pass bwd $F --out $OUT/bwd-cudnn-1 > /dev/null 2>&1
python3 - $OUT <<'PY' | tee -a $S
import csv, sys, glob, collections, statistics
t = collections.defaultdict(list)
for f in sorted(glob.glob(sys.argv[1] + '/bwd-*-*/results.csv')):
    v = f.split('/')[-2].split('-')[1]
    for r in csv.DictReader(open(f)):
        t[((int(r['head_dim']), r['causal'], int(r['seqlen_q'])), v)].append(float(r['median_ms']) if r['status'] == 'ok' else float('nan'))
for k in sorted({k for k, _ in t}):
    o, n, c = t[(k, 'old')], t[(k, 'new')], t[(k, 'cudnn')]
    print("bwd D%-3d causal=%-5s N=%-5d old %s new %s new/old %.3f | cudnn %.3f: cudnn/old %.3f cudnn/new %.3f" % (k[0], k[1], k[2], ' '.join('%.3f' % x for x in o), ' '.join('%.3f' % x for x in n), statistics.median(n) / statistics.median(o), c[0], c[0] / statistics.median(o), c[0] / statistics.median(n)))
PY
note "== tests [flash3], [ring], FA_RING_STEPS=flash [ring]"
timeout 150 $T -d yes "[flash3]" > $OUT/tests-flash3.log 2>&1; note "flash3 rc=$? $(grep -E 'test cases' $OUT/tests-flash3.log | tail -1)"
timeout 150 $T -d yes "[ring]" > $OUT/tests-ring.log 2>&1; note "ring rc=$? $(grep -E 'test cases' $OUT/tests-ring.log | tail -1) warn: $(grep -c 'not a ring of sm_90' $OUT/tests-ring.log)"
FA_RING_STEPS=flash timeout 100 $T "[ring]" > $OUT/tests-ring-flash.log 2>&1; note "ring (flash steps) rc=$? $(grep -E 'test cases' $OUT/tests-ring-flash.log | tail -1)"
grep -h -B3 -A15 FAILED $OUT/tests-*.log | head -50 | tee -a $S
timeout 100 $B verify --kernel ring --batch 1 --heads 4 --seqlen 1024,2046 --head-dim 64,96,128,256 --dtype bf16,fp16 --causal both --pass fwd,bwd > $OUT/verify-ring.log 2>&1
note "verify ring rc=$? $(tail -1 $OUT/verify-ring.log)"; grep FAIL $OUT/verify-ring.log | head -5 | tee -a $S
timeout 90 compute-sanitizer --tool memcheck --error-exitcode 9 $B verify --kernel ring --batch 1 --heads 2 --seqlen 512 --head-dim 64 --causal 1 --pass fwd,bwd --dtype bf16 > $OUT/san-ring.log 2>&1
note "memcheck ring rc=$? $(grep -E 'ERROR SUMMARY' $OUT/san-ring.log | tr '\n' ' ') $(tail -1 $OUT/san-ring.log)"
$B run --kernel flash3,ring --batch 1 --heads 16 --seqlen 16384 --head-dim 128 --dtype bf16 --causal both --pass fwd,fwdbwd $F --out $OUT/ring-bar > $OUT/ring-bar.log 2>&1
FA_RING_STEPS=flash $B run --kernel ring --batch 1 --heads 16 --seqlen 16384 --head-dim 128 --dtype bf16 --causal both --pass fwd,fwdbwd $F --out $OUT/ring-bar-flash > $OUT/ring-bar-flash.log 2>&1
grep -hE '^\[' $OUT/ring-bar.log $OUT/ring-bar-flash.log | tee -a $S
python3 -c "
import json,sys
for f in sys.argv[1:]:
    for r in json.load(open(f))['rows']:
        if r['point']['kernel']=='ring': print(r['point_key'], r.get('notes'))
" $OUT/ring-bar/results.json | head -4 | tee -a $S
pack call4
