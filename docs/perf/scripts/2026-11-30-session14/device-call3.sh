#!/usr/bin/env bash
# Device call 3 (session 14): correctness of main at 69d7ea9 (causal rounds of 8, or 8 rounds past 64 tiles), in the configuration in which session 13 saw the flash
# GQA backward fail once: the GPU suite in two processes at once with sanitizers beside them. Also: the pageable-copy
# probe at 2 MiB (the size of that point's dO), and memcheck / racecheck / synccheck / initcheck on that exact point.
set -uo pipefail
cd .carry && for f in *.xz exp/*.xz; do xz -d -k -f $f; done && chmod +x fa-bench fa_bench_gpu_tests pageable_race exp/* && cd ..
B=.carry/fa-bench; T=.carry/fa_bench_gpu_tests
S=$OUT/summary.txt; : > $S
note() { echo "$*" | tee -a $S; }
pack() { (cd $OUT && tar -czf $1.tgz --exclude='*.tgz' --exclude=summary.txt $(ls | grep -v -e '\.tgz$' -e '^summary.txt$') && find . -mindepth 1 -maxdepth 1 ! -name '*.tgz' ! -name summary.txt -exec rm -rf {} +); }
nvidia-smi --query-gpu=name,uuid,clocks.sm,power.limit --format=csv,noheader | tee -a $S
.carry/pageable_race 2 2000 | tee -a $S
G="[flash3],[gqa],[fp8],[block_sparse]"
(timeout 280 $T -d yes "$G" > $OUT/tests-a.log 2>&1; echo "suite part A ($G) rc=$? $(grep -E 'test cases' $OUT/tests-a.log | tail -1)" > $OUT/ra.txt) &
(timeout 280 $T -d yes "~[flash3]~[gqa]~[fp8]~[block_sparse]" > $OUT/tests-b.log 2>&1; echo "suite part B (the rest) rc=$? $(grep -E 'test cases' $OUT/tests-b.log | tail -1)" > $OUT/rb.txt) &
(
  V="verify --kernel flash --batch 1 --heads 32 --kv-heads 1 --seqlen 255 --head-dim 128 --dtype fp16 --pass fwdbwd,bwd"
  for tool in memcheck racecheck synccheck initcheck; do
    timeout 60 compute-sanitizer --tool $tool --error-exitcode 9 $B $V > $OUT/san-gqa-$tool.log 2>&1
    echo "$tool flash GQA 32/1 D128 N255 rc=$? $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY' $OUT/san-gqa-$tool.log | tr '\n' ' ') $(tail -1 $OUT/san-gqa-$tool.log)"
  done
  for i in 1 2 3 4 5 6; do
    timeout 30 $T "gqa: flash bnhd layout and head dim 128" > $OUT/gqa-case-$i.log 2>&1
    echo "the failing case alone, beside the suite, run $i: rc=$? $(grep -E 'test cases' $OUT/gqa-case-$i.log | tail -1)"
  done
  V3="verify --kernel flash3 --batch 2 --heads 3 --seqlen 17,255,1000,4097 --seqlen-kv 255,1000 --head-dim 64,128 --dtype bf16 --causal true --dropout 0,0.17 --pass fwd,bwd"
  timeout 60 $B $V3 > $OUT/verify-flash3-causal.log 2>&1
  echo "verify flash3 causal rc=$? $(tail -1 $OUT/verify-flash3-causal.log)"
  timeout 60 $B verify --kernel block_sparse --sparsity local,random --density 0.25,1 --seqlen 1000,2048 --head-dim 64,128 --causal both --pass fwd,bwd --dtype bf16 > $OUT/verify-bs.log 2>&1
  echo "verify block_sparse rc=$? $(tail -1 $OUT/verify-bs.log)"
  for tool in racecheck synccheck; do
    timeout 60 compute-sanitizer --tool $tool --error-exitcode 9 $B verify --kernel flash3 --batch 1 --heads 2 --seqlen 255,1000 --head-dim 64,128 --dtype bf16 --causal true --pass fwd,bwd > $OUT/san-f3c-$tool.log 2>&1
    echo "$tool flash3 causal rc=$? $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY' $OUT/san-f3c-$tool.log | tr '\n' ' ')"
  done
) > $OUT/side.txt 2>&1 &
cuobjdump -res-usage $B 2>/dev/null | grep -A1 flash3_ > $OUT/res-usage.txt
note "flash3 instances: $(grep -c 'Function' $OUT/res-usage.txt) (LOCAL nonzero: $(grep -c 'LOCAL:[1-9]' $OUT/res-usage.txt); STACK nonzero: $(grep -c 'STACK:[1-9]' $OUT/res-usage.txt))"
wait
cat $OUT/ra.txt $OUT/rb.txt $OUT/side.txt | tee -a $S
grep -h -B3 -A12 FAILED $OUT/tests-*.log $OUT/gqa-case-*.log | head -40 | tee -a $S
pack tests
# Long sequences: the round policy (main) against one round per head (the session-start order: the experiment
# binary with FA_FLASH3_ORDER_CHUNK=0), causal, bf16, 32k tokens.
LP="--tokens 32768 --hidden 2048 --seqlen 16384,32768 --head-dim 64,128 --dtype bf16 --causal true --pass fwd,fwdbwd --max-time 0.15 --no-counters"
FA_FLASH3_ORDER_CHUNK=0 timeout 90 .carry/exp/fa-bench-ord run --kernel flash3 $LP --out $OUT/long-old > /dev/null 2>&1
timeout 90 $B run --kernel flash3,cudnn $LP --out $OUT/long-new > /dev/null 2>&1
python3 - $OUT <<'PY' | tee -a $S
import csv, sys
def rows(f):
    return {(r['kernel'], r['pass'], int(r['head_dim']), int(r['seqlen_q'])): float(r['median_ms']) if r['status'] == 'ok' else float('nan') for r in csv.DictReader(open(f))}
o, n = rows(sys.argv[1] + '/long-old/results.csv'), rows(sys.argv[1] + '/long-new/results.csv')
print("causal long: pass D N | old order ms | rounds ms | rounds/old | cudnn/rounds")
for k in sorted(x for x in n if x[0] == 'flash3'):
    print("%-6s D%-3d %-6d | %.3f | %.3f | %.3f | %.3f" % (k[1], k[2], k[3], o[k], n[k], n[k] / o[k], n[('cudnn',) + k[1:]] / n[k]))
PY
pack long
