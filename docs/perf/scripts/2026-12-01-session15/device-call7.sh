#!/usr/bin/env bash
# Device call 7 (session 15): variant trs (P's row sums on the tensor core: each P V GEMM also multiplies P by a
# [BN x 8] tile of ones, n8 wgmmas, instead of an FADD per element; not with dropout) against main (4f6fb35).
# (1) Timing, three interleaved rounds: N 8192, 16k tokens, hidden 2048, D 64/128/256, bf16 and fp8, causal both,
# fwd; the seed point fp16 D64 without dropout; fwd N 1024 D 128 bf16. cuDNN once for the ratios.
# (2) trs's [flash3],[fp8],[gqa],[varlen],[decode],[block_sparse] tests; verify at every head dim and dtype;
# memcheck, racecheck, synccheck of a small verify point.
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
  for v in main trs; do
    Y=$B; [[ $v != main ]] && Y=.carry/exp/fa-bench-$v
    timeout 40 $Y run --kernel flash3 $P $F --out $OUT/big-$v-$round > /dev/null 2>&1
    timeout 20 $Y run --kernel flash3 --batch 32 --heads 8 --seqlen 2048 --head-dim 64 --dtype fp16 --pass fwd $F --out $OUT/seed-$v-$round > /dev/null 2>&1
    timeout 20 $Y run --kernel flash3 --tokens 16384 --hidden 2048 --seqlen 1024 --head-dim 128 --dtype bf16 --causal both --pass fwd $F --out $OUT/short-$v-$round > /dev/null 2>&1
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
med = lambda k, v: statistics.median(t[(k, v)]) if (k, v) in t else float('nan')
print("point (N D dtype causal) | ms main trs (per round) | trs/main | TFLOP/s main trs | cudnn/main cudnn/trs")
for k in sorted({k for k, _ in t}):
    if (k, 'main') not in t: continue
    m, x, c = med(k, 'main'), med(k, 'trs'), med(k, 'cudnn')
    print("%-5s N%-5d D%-3d %-4s %s | %s / %s | %.3f | %.0f %.0f | %.3f %.3f" % (k + (' '.join('%.4f' % y for y in t[(k, 'main')]), ' '.join('%.4f' % y for y in t[(k, 'trs')]),
          x / m, statistics.median(tf[(k, 'main')]), statistics.median(tf[(k, 'trs')]), c / m, c / x)))
PY
pack bench
X=.carry/exp/fa-bench-trs; T=.carry/exp/gpu-tests-trs
(timeout 300 $T "[flash3],[fp8],[gqa],[varlen],[decode],[block_sparse]" > $OUT/tests.log 2>&1; echo "trs tests rc=$? $(grep -E 'test cases' $OUT/tests.log | tail -1)" > $OUT/rt.txt) &
(
  timeout 150 $X verify --kernel flash3 --batch 2 --heads 3 --seqlen 1,17,255,1000,4097 --seqlen-kv 255,1000 --head-dim 64,96,128,256 --dtype fp16,bf16 --causal both --pass fwd > $OUT/verify.log 2>&1
  echo "verify flash3 (trs) fp16,bf16 rc=$? $(tail -1 $OUT/verify.log)"
  timeout 100 $X verify --kernel flash3 --batch 2 --heads 3 --seqlen 17,255,1000,4097 --seqlen-kv 255,1000 --head-dim 64,128,256 --dtype fp8 --causal both --pass fwd > $OUT/verify-fp8.log 2>&1
  echo "verify flash3 (trs) fp8 rc=$? $(tail -1 $OUT/verify-fp8.log)"
  timeout 60 $X verify --kernel block_sparse --sparsity local,random --density 0.25,1 --seqlen 1000,2048 --head-dim 64,128 --causal both --pass fwd --dtype bf16 > $OUT/verify-bs.log 2>&1
  echo "verify block_sparse (trs) rc=$? $(tail -1 $OUT/verify-bs.log)"
  for tool in memcheck racecheck synccheck; do
    timeout 90 compute-sanitizer --tool $tool --error-exitcode 9 $X verify --kernel flash3 --batch 1 --heads 2 --seqlen 300 --seqlen-kv 257 --head-dim 64,128,256 --causal both --pass fwd --dtype bf16,fp8 > $OUT/san-$tool.log 2>&1
    echo "$tool verify point (trs) rc=$? $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY' $OUT/san-$tool.log | sort | uniq -c | tr '\n' ' ') $(tail -1 $OUT/san-$tool.log)"
  done
) > $OUT/side.txt 2>&1 &
wait
cat $OUT/rt.txt $OUT/side.txt | tee -a $S
grep -h "FAIL" $OUT/verify*.log | head -5 | tee -a $S
grep -h -B3 -A12 FAILED $OUT/tests.log | head -30 | tee -a $S
pack tests
