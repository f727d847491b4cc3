#!/usr/bin/env bash
# Device call 3 (session 16): the submitted build (c199095). (1) Issue 11's bar table: flash, flash3, cudnn, bf16,
# 16k tokens, hidden 2048, N 512/1024/8192, D 64/128, causal both, fwd and fwd+bwd (round 1), and N 8192 again for
# flash3 and cudnn (round 2). (2) The seed point, fp16 D64, dropout 0 and 0.2, flash, flash3, cudnn. (3) D 128 with
# dropout 0.2, N 8192, causal both: old (session 15's build) against main, four interleaved rounds (call 2 left
# +2.4 % / +5.7 % with rounds 6 % apart). (4) flash (FlashAttention-2 style) with DropoutRow in its forward: the seed
# point with dropout 0 and 0.2, old against main, three interleaved rounds. (5) GPU tests [flash],[dropout],[flash3].
set -uo pipefail
cd .carry && for f in *.xz exp/*.xz; do xz -d -k -f $f; done && chmod +x fa-bench fa_bench_gpu_tests exp/fa-bench-* && cd ..
B=.carry/fa-bench
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
note "== seed point"
timeout 60 $B run --kernel flash,flash3,cudnn --batch 32 --heads 8 --seqlen 2048 --head-dim 64 --dtype fp16 --dropout 0,0.2 --pass fwd $F --out $OUT/seed > /dev/null 2>&1
python3 - $OUT <<'PY' | tee -a $S
import csv, sys
for x in csv.DictReader(open(sys.argv[1] + '/seed/results.csv')):
    print("%-7s p %s: %s ms (%s MHz) %s" % (x['kernel'], x['dropout'], x['median_ms'], x['sm_clock_sample_mhz'][:4], x['status']))
PY
note "== D128 dropout, old vs main"
for round in 1 2 3 4; do
  for v in old main; do
    Y=$B; [[ $v != main ]] && Y=.carry/exp/fa-bench-$v
    timeout 30 $Y run --kernel flash3 --tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 128 --dtype bf16 --causal both --dropout 0.2 --pass fwd $F --out $OUT/d128-$v-$round > /dev/null 2>&1
  done
done
python3 - $OUT <<'PY' | tee -a $S
import csv, sys, glob, collections, statistics
t = collections.defaultdict(list)
for f in sorted(glob.glob(sys.argv[1] + '/d128-*-*/results.csv')):
    _, v, _ = f.split('/')[-2].split('-')
    for r in csv.DictReader(open(f)):
        t[(r['causal'][0], v)].append((float(r['median_ms']), r['sm_clock_sample_mhz'][:4]))
for c in 'ft':
    o, m = t[(c, 'old')], t[(c, 'main')]
    print("D128 p0.2 causal %s | old %s | main %s | median main/old %.3f" % (c, ' '.join('%.4f (%s)' % x for x in o), ' '.join('%.4f (%s)' % x for x in m),
          statistics.median(x[0] for x in m) / statistics.median(x[0] for x in o)))
PY
note "== flash forward with DropoutRow, old vs main"
for round in 1 2 3; do
  for v in old main; do
    Y=$B; [[ $v != main ]] && Y=.carry/exp/fa-bench-$v
    timeout 30 $Y run --kernel flash --batch 32 --heads 8 --seqlen 2048 --head-dim 64,128 --dtype fp16 --dropout 0,0.2 --pass fwd $F --out $OUT/flash-$v-$round > /dev/null 2>&1
  done
done
python3 - $OUT <<'PY' | tee -a $S
import csv, sys, glob, collections, statistics
t = collections.defaultdict(list)
for f in sorted(glob.glob(sys.argv[1] + '/flash-*-*/results.csv')):
    _, v, _ = f.split('/')[-2].split('-')
    for r in csv.DictReader(open(f)):
        t[((int(r['head_dim']), float(r['dropout'])), v)].append(float(r['median_ms']))
for k in sorted({k for k, _ in t}):
    o, m = t[(k, 'old')], t[(k, 'main')]
    print("flash seed D%d p%.1f | old %s | main %s | median main/old %.3f" % (k + (' '.join('%.4f' % x for x in o), ' '.join('%.4f' % x for x in m),
          statistics.median(m) / statistics.median(o))))
PY
pack bench
timeout 300 .carry/fa_bench_gpu_tests "[flash],[dropout],[flash3]" > $OUT/tests.log 2>&1; note "tests rc=$? $(grep -E 'test cases' $OUT/tests.log | tail -1)"
grep -h -B3 -A12 FAILED $OUT/tests.log | head -40 | tee -a $S
pack tests
