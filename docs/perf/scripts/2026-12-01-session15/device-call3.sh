#!/usr/bin/env bash
# Device call 3 (session 15): two forward variants against main (cd8f938).
#  cr:   conditional rescaling (FlashAttention-4): the running row max moves only when a block's max exceeds it by
#        more than 2^8 (16-bit P; fp8: whenever it grows), and a warp rescales O only when one of its row maxima
#        moved; includes call 1's "drop" (dropout flags drawn before the softmax).
#  f8w3: the fp8 D128 forward on three consumer warpgroups (160 registers; ptxas spills 144 bytes) instead of two.
# (1) Timing, three interleaved rounds: N 8192, 16k tokens, hidden 2048, D 64/128/256, bf16 and fp8, causal both,
# fwd; fwd+bwd bf16 D128; the seed point fp16 D64 with dropout 0 and 0.2; cuDNN once for the ratios.
# (2) cr's [flash3],[fp8],[dropout] tests; verify of cr at every head dim and dtype, dropout 0 and 0.17; memcheck.
set -uo pipefail
cd .carry && for f in *.xz exp/*.xz; do xz -d -k -f $f; done && chmod +x fa-bench* exp/* && cd ..
B=.carry/fa-bench
S=$OUT/summary.txt; : > $S
note() { echo "$*" | tee -a $S; }
pack() { (cd $OUT && tar -czf $1.tgz --exclude='*.tgz' --exclude=summary.txt $(ls | grep -v -e '\.tgz$' -e '^summary.txt$') && find . -mindepth 1 -maxdepth 1 ! -name '*.tgz' ! -name summary.txt -exec rm -rf {} +); }
nvidia-smi --query-gpu=name,uuid,clocks.sm,power.limit --format=csv,noheader | tee -a $S
F="--max-time 0.15 --no-counters"
P="--tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 64,128,256 --dtype bf16,fp8 --causal both --pass fwd"
FB="--tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 128 --dtype bf16 --causal both --pass fwdbwd"
SEED="--batch 32 --heads 8 --seqlen 2048 --head-dim 64 --dtype fp16 --dropout 0,0.2 --pass fwd"
timeout 60 $B run --kernel cudnn $P $F --out $OUT/big-cudnn-1 > /dev/null 2>&1
timeout 30 $B run --kernel cudnn $FB $F --out $OUT/fb-cudnn-1 > /dev/null 2>&1
for round in 1 2 3; do
  for v in main cr f8w3; do
    Y=$B; [[ $v != main ]] && Y=.carry/exp/fa-bench-$v
    timeout 40 $Y run --kernel flash3 $P $F --out $OUT/big-$v-$round > /dev/null 2>&1
    [[ $v == f8w3 ]] && continue
    timeout 30 $Y run --kernel flash3 $FB $F --out $OUT/fb-$v-$round > /dev/null 2>&1
    timeout 20 $Y run --kernel flash3 $SEED $F --out $OUT/seed-$v-$round > /dev/null 2>&1
  done
done
python3 - $OUT <<'PY' | tee -a $S
import csv, sys, glob, collections, statistics
t = collections.defaultdict(list); tf = collections.defaultdict(list)
for f in sorted(glob.glob(sys.argv[1] + '/*-*-*/results.csv')):
    what, v, _ = f.split('/')[-2].split('-')
    for r in csv.DictReader(open(f)):
        k = (what, r['pass'], int(r['head_dim']), r['dtype'], r['causal'][0], float(r['dropout']))
        ok = r['status'] == 'ok'
        t[(k, v)].append(float(r['median_ms']) if ok else float('nan'))
        tf[(k, v)].append(float(r['tflops']) if ok else float('nan'))
med = lambda k, v: statistics.median(t[(k, v)]) if (k, v) in t else float('nan')
print("point (pass D dtype causal p) | ms: main cr f8w3 | cr/main f8w3/main | TFLOP/s main cr | cudnn/main cudnn/cr cudnn/f8w3")
for k in sorted({k for k, _ in t}):
    if (k, 'main') not in t: continue
    m = {v: med(k, v) for v in ('main', 'cr', 'f8w3', 'cudnn')}
    print("%-4s %-6s D%-3d %-4s %s p%.1f | %.4f %.4f %.4f | %.3f %.3f | %.0f %.0f | %.3f %.3f %.3f" % (k + (m['main'], m['cr'], m['f8w3'],
          m['cr'] / m['main'], m['f8w3'] / m['main'], statistics.median(tf[(k, 'main')]), statistics.median(tf[(k, 'cr')]) if (k, 'cr') in tf else float('nan'),
          m['cudnn'] / m['main'], m['cudnn'] / m['cr'], m['cudnn'] / m['f8w3'])))
PY
pack bench
X=.carry/exp/fa-bench-cr; T=.carry/exp/gpu-tests-cr
(timeout 220 $T "[flash3],[fp8],[dropout]" > $OUT/tests.log 2>&1; echo "cr tests [flash3],[fp8],[dropout] rc=$? $(grep -E 'test cases' $OUT/tests.log | tail -1)" > $OUT/rt.txt) &
(
  timeout 150 $X verify --kernel flash3 --batch 2 --heads 3 --seqlen 17,255,1000,4097 --seqlen-kv 255,1000 --head-dim 64,96,128,256 --dtype fp16,bf16 --causal both --dropout 0,0.17 --pass fwd > $OUT/verify.log 2>&1
  echo "verify flash3 (cr) fp16,bf16 dropout 0,0.17 rc=$? $(tail -1 $OUT/verify.log)"
  timeout 100 $X verify --kernel flash3 --batch 2 --heads 3 --seqlen 17,255,1000,4097 --seqlen-kv 255,1000 --head-dim 64,128,256 --dtype fp8 --causal both --pass fwd > $OUT/verify-fp8.log 2>&1
  echo "verify flash3 (cr) fp8 rc=$? $(tail -1 $OUT/verify-fp8.log)"
  timeout 60 .carry/exp/fa-bench-f8w3 verify --kernel flash3 --batch 2 --heads 3 --seqlen 17,1000,4097 --seqlen-kv 255,1000 --head-dim 128 --dtype fp8 --causal both --pass fwd > $OUT/verify-f8w3.log 2>&1
  echo "verify flash3 (f8w3) fp8 D128 rc=$? $(tail -1 $OUT/verify-f8w3.log)"
  timeout 60 compute-sanitizer --tool memcheck --error-exitcode 9 $X verify --kernel flash3 --batch 1 --heads 2 --seqlen 300 --seqlen-kv 257 --head-dim 64,128 --causal both --pass fwd --dtype fp16,fp8 > $OUT/san-memcheck.log 2>&1
  echo "memcheck verify point (cr) rc=$? $(grep -E 'ERROR SUMMARY' $OUT/san-memcheck.log | sort | uniq -c | tr '\n' ' ') $(tail -1 $OUT/san-memcheck.log)"
) > $OUT/side.txt 2>&1 &
wait
cat $OUT/rt.txt $OUT/side.txt | tee -a $S
grep -h "FAIL" $OUT/verify*.log | head -5 | tee -a $S
grep -h -B3 -A12 FAILED $OUT/tests.log | head -30 | tee -a $S
pack tests
