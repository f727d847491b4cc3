#!/usr/bin/env bash
# Device call 2 (session 15): exponentials split between MUFU and the FMA pipe (exp2_poly, FlashAttention-4's
# trick) in the flash3 forward without dropout: variants p2, p4, p6 compute 2, 4, 6 of every 16 exponentials
# with the polynomial; main (cd8f938) computes all on MUFU. (1) Timing, three interleaved rounds: N 8192, 16k
# tokens, hidden 2048, D 64/128/256, causal both, bf16 and fp8, and the seed point (fp16 D64) without dropout;
# cuDNN once for the ratios. (2) verify of p6 (the most polynomial) at every head dim and dtype.
set -uo pipefail
cd .carry && for f in *.xz exp/*.xz; do xz -d -k -f $f; done && chmod +x fa-bench* exp/* && cd ..
B=.carry/fa-bench
S=$OUT/summary.txt; : > $S
note() { echo "$*" | tee -a $S; }
pack() { (cd $OUT && tar -czf $1.tgz --exclude='*.tgz' --exclude=summary.txt $(ls | grep -v -e '\.tgz$' -e '^summary.txt$') && find . -mindepth 1 -maxdepth 1 ! -name '*.tgz' ! -name summary.txt -exec rm -rf {} +); }
nvidia-smi --query-gpu=name,uuid,clocks.sm,power.limit --format=csv,noheader | tee -a $S
F="--max-time 0.15 --no-counters"
P="--tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 64,128,256 --dtype bf16,fp8 --causal both --pass fwd"
timeout 60 $B run --kernel cudnn $P $F --out $OUT/big-cudnn-1 > /dev/null 2>&1
for round in 1 2 3; do
  for v in main p2 p4 p6; do
    Y=$B; [[ $v != main ]] && Y=.carry/exp/fa-bench-$v
    timeout 40 $Y run --kernel flash3 $P $F --out $OUT/big-$v-$round > /dev/null 2>&1
    timeout 20 $Y run --kernel flash3 --batch 32 --heads 8 --seqlen 2048 --head-dim 64 --dtype fp16 --pass fwd $F --out $OUT/seed-$v-$round > /dev/null 2>&1
  done
done
python3 - $OUT <<'PY' | tee -a $S
import csv, sys, glob, collections, statistics
t = collections.defaultdict(list); tf = collections.defaultdict(list)
for f in sorted(glob.glob(sys.argv[1] + '/*-*-*/results.csv')):
    what, v, _ = f.split('/')[-2].split('-')
    for r in csv.DictReader(open(f)):
        k = (what, int(r['seqlen_q']), int(r['head_dim']), r['dtype'], r['causal'][0])
        ok = r['status'] == 'ok'
        t[(k, v)].append(float(r['median_ms']) if ok else float('nan'))
        tf[(k, v)].append(float(r['tflops']) if ok else float('nan'))
vs = ('main', 'p2', 'p4', 'p6')
print("point (N D dtype causal) | ms: main p2 p4 p6 | variant/main: p2 p4 p6 | TFLOP/s main best | cudnn/main cudnn/best")
for k in sorted({k for k, _ in t}):
    if (k, 'main') not in t: continue
    m = {v: statistics.median(t[(k, v)]) for v in vs}
    best = min(vs, key=lambda v: m[v])
    c = statistics.median(t[(k, 'cudnn')]) if (k, 'cudnn') in t else float('nan')
    print("%s N%-5d D%-3d %-4s %s | %s | %s | %.0f %.0f (%s) | %.3f %.3f" % (k + (' '.join('%.4f' % m[v] for v in vs),
          ' '.join('%.3f' % (m[v] / m['main']) for v in vs[1:]), statistics.median(tf[(k, 'main')]), statistics.median(tf[(k, best)]), best,
          c / m['main'], c / m[best])))
PY
pack bench
X=.carry/exp/fa-bench-p6
timeout 150 $X verify --kernel flash3 --batch 2 --heads 3 --seqlen 17,255,1000,4097 --seqlen-kv 255,1000 --head-dim 64,96,128,256 --dtype fp16,bf16 --causal both --pass fwd > $OUT/verify.log 2>&1
note "verify flash3 (p6) fp16,bf16 rc=$? $(tail -1 $OUT/verify.log)"
timeout 100 $X verify --kernel flash3 --batch 2 --heads 3 --seqlen 17,255,1000,4097 --seqlen-kv 255,1000 --head-dim 64,128,256 --dtype fp8 --causal both --pass fwd > $OUT/verify-fp8.log 2>&1
note "verify flash3 (p6) fp8 rc=$? $(tail -1 $OUT/verify-fp8.log)"
grep -h "FAIL" $OUT/verify*.log | head -5 | tee -a $S
timeout 60 compute-sanitizer --tool memcheck --error-exitcode 9 $X verify --kernel flash3 --batch 1 --heads 2 --seqlen 300 --seqlen-kv 257 --head-dim 64,128 --causal both --pass fwd --dtype bf16,fp8 > $OUT/san-memcheck.log 2>&1
note "memcheck verify point (p6) rc=$? $(grep -E 'ERROR SUMMARY' $OUT/san-memcheck.log | sort | uniq -c | tr '\n' ' ') $(tail -1 $OUT/san-memcheck.log)"
pack tests
