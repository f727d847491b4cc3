#!/usr/bin/env bash
# Device call 4 (session 15): the submitted build (34df4d2). (1) Issue 11's bar table: flash, flash3, cudnn, bf16,
# 16k tokens, hidden 2048, N 512/1024/8192, D 64/128, causal both, fwd and fwd+bwd (round 1), and N 8192 again for
# flash3 and cudnn (round 2). (2) Issue 12: fp8 D 64/128/256 flash3 and cudnn, N 8192, causal both, with bf16 flash3
# beside. (3) The seed point, fp16 D64, dropout 0 and 0.2. (4) block_sparse with an all-kept mask against flash3,
# two rounds. (5) GPU tests [flash3],[fp8],[dropout],[block_sparse],[gqa],[flash]; racecheck and synccheck of the
# conditional-rescale kernels (D 256, fp8 D 64) on small verify points.
set -uo pipefail
cd .carry && for f in *.xz; do xz -d -k -f $f; done && chmod +x fa-bench fa_bench_gpu_tests && cd ..
B=.carry/fa-bench; T=.carry/fa_bench_gpu_tests
S=$OUT/summary.txt; : > $S
note() { echo "$*" | tee -a $S; }
pack() { (cd $OUT && tar -czf $1.tgz --exclude='*.tgz' --exclude=summary.txt $(ls | grep -v -e '\.tgz$' -e '^summary.txt$') && find . -mindepth 1 -maxdepth 1 ! -name '*.tgz' ! -name summary.txt -exec rm -rf {} +); }
nvidia-smi --query-gpu=name,uuid,clocks.sm,power.limit --format=csv,noheader | tee -a $S
F="--max-time 0.15 --no-counters"
P="--tokens 16384 --hidden 2048 --seqlen 512,1024,8192 --head-dim 64,128 --dtype bf16 --causal both --pass fwd,fwdbwd"
timeout 150 $B run --kernel flash,flash3,cudnn $P $F --out $OUT/bars-1 > /dev/null 2>&1
timeout 60 $B run --kernel flash3,cudnn --tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 64,128 --dtype bf16 --causal both --pass fwd,fwdbwd $F --out $OUT/bars-2 > /dev/null 2>&1
python3 - $OUT <<'PY' | tee -a $S
import csv, sys, glob, collections
t = collections.defaultdict(list)
for f in sorted(glob.glob(sys.argv[1] + '/bars-*/results.csv')):
    for r in csv.DictReader(open(f)):
        k = (r['pass'], int(r['head_dim']), r['causal'][0], int(r['seqlen_q']))
        ok = r['status'] == 'ok'
        t[(k, r['kernel'])].append((float(r['median_ms']) if ok else float('nan'), float(r['tflops']) if ok else float('nan'), float(r['sm_clock_sample_mhz'] or 'nan') if ok else float('nan')))
print("pass   D   c N     | flash3 ms (MHz) per round | cudnn/flash3 per round | TFLOP/s flash flash3 cudnn (round 1)")
for k in sorted({k for k, _ in t}):
    n, c, a = t[(k, 'flash3')], t[(k, 'cudnn')], t[(k, 'flash')]
    print("%-6s D%-3d %s %-5d | %s | %s | %.0f %.0f %.0f" % (k[0], k[1], k[2], k[3], ' '.join('%.3f (%.0f)' % (x[0], x[2]) for x in n),
          ' '.join('%.3f' % (x[0] / y[0]) for x, y in zip(c, n)), a[0][1] if a else float('nan'), n[0][1], c[0][1]))
PY
note "== fp8 (issue 12)"
timeout 60 $B run --kernel flash3,cudnn --tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 64,128,256 --dtype fp8,bf16 --causal both --pass fwd $F --out $OUT/fp8 > /dev/null 2>&1
python3 - $OUT <<'PY' | tee -a $S
import csv, sys
r = {(x['kernel'], x['dtype'], int(x['head_dim']), x['causal'][0]): x for x in csv.DictReader(open(sys.argv[1] + '/fp8/results.csv'))}
ms = lambda *k: float(r[k]['median_ms']) if k in r and r[k]['status'] == 'ok' else float('nan')
tf = lambda *k: float(r[k]['tflops']) if k in r and r[k]['status'] == 'ok' else float('nan')
print("D   c | flash3 fp8 TFLOP/s | cudnn fp8 TFLOP/s | cudnn/flash3 fp8 | flash3 fp8 / flash3 bf16 (speed) | cudnn bf16/flash3 bf16")
for d in (64, 128, 256):
    for c in 'ft':
        print("D%-3d %s | %.0f | %.0f | %.3f | %.3f | %.3f" % (d, c, tf('flash3', 'fp8', d, c), tf('cudnn', 'fp8', d, c), ms('cudnn', 'fp8', d, c) / ms('flash3', 'fp8', d, c),
              ms('flash3', 'bf16', d, c) / ms('flash3', 'fp8', d, c), ms('cudnn', 'bf16', d, c) / ms('flash3', 'bf16', d, c)))
PY
note "== seed point"
timeout 60 $B run --kernel flash,flash3,cudnn --batch 32 --heads 8 --seqlen 2048 --head-dim 64 --dtype fp16 --dropout 0,0.2 --pass fwd $F --out $OUT/seed > /dev/null 2>&1
python3 - $OUT <<'PY' | tee -a $S
import csv, sys
for x in csv.DictReader(open(sys.argv[1] + '/seed/results.csv')):
    print("%-7s p %s: %s ms (%s MHz) %s" % (x['kernel'], x['dropout'], x['median_ms'], x['sm_clock_sample_mhz'][:4], x['status']))
PY
note "== block_sparse, all-kept mask"
BS="--sparsity random --density 1 --tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 64,128 --dtype bf16 --causal both --pass fwd $F"
for round in 1 2; do timeout 40 $B run --kernel flash3,block_sparse $BS --out $OUT/bs-$round > /dev/null 2>&1; done
python3 - $OUT <<'PY' | tee -a $S
import csv, sys, glob, collections, statistics
t = collections.defaultdict(list)
for f in sorted(glob.glob(sys.argv[1] + '/bs-*/results.csv')):
    for r in csv.DictReader(open(f)):
        t[((int(r['head_dim']), r['causal'][0]), r['kernel'])].append(float(r['median_ms']))
for k in sorted({k[0] for k in t}):
    a, b = t[(k, 'flash3')], t[(k, 'block_sparse')]
    print("fwd N8192 D%-3d %s | flash3 %s | block_sparse %s | bs/flash3 per round %s" % (k[0], k[1], ' '.join('%.4f' % x for x in a), ' '.join('%.4f' % x for x in b), ' '.join('%.3f' % (y / x) for x, y in zip(a, b))))
PY
pack bench
(timeout 300 $T "[flash3],[fp8],[dropout],[block_sparse],[gqa],[flash]" > $OUT/tests.log 2>&1; echo "tests rc=$? $(grep -E 'test cases' $OUT/tests.log | tail -1)" > $OUT/rt.txt) &
(
  for tool in racecheck synccheck; do
    timeout 90 compute-sanitizer --tool $tool --error-exitcode 9 $B verify --kernel flash3 --batch 1 --heads 2 --seqlen 300 --seqlen-kv 257 --head-dim 256 --causal both --pass fwd --dtype bf16 > $OUT/san-$tool-d256.log 2>&1
    echo "$tool D256 bf16 rc=$? $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY' $OUT/san-$tool-d256.log | sort | uniq -c | tr '\n' ' ') $(tail -1 $OUT/san-$tool-d256.log)"
    timeout 90 compute-sanitizer --tool $tool --error-exitcode 9 $B verify --kernel flash3 --batch 1 --heads 2 --seqlen 300 --seqlen-kv 257 --head-dim 64,256 --causal both --pass fwd --dtype fp8 > $OUT/san-$tool-fp8.log 2>&1
    echo "$tool fp8 D64/256 rc=$? $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY' $OUT/san-$tool-fp8.log | sort | uniq -c | tr '\n' ' ') $(tail -1 $OUT/san-$tool-fp8.log)"
  done
) > $OUT/side.txt 2>&1 &
wait
cat $OUT/rt.txt $OUT/side.txt | tee -a $S
grep -h -B3 -A12 FAILED $OUT/tests.log | head -30 | tee -a $S
pack tests
