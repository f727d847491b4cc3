#!/usr/bin/env bash
# Device call 7 (session 18): the build to submit (main: fp8 D 128 serial with 256 keys and, non-causal, the
# exponentials' turns; the transposers' piece addressing; the consumer index broadcast; chains at fp8 D 128
# non-causal). Its fp8 D 128 SASS equals call 6's s256x (non-causal); every other forward instance equals call 3's
# cand up to register names. (1) Issue 12's table: flash3 and cuDNN, fp8 and bf16, D 64/128/256, N 8192, 16k tokens,
# hidden 2048, causal both, forward; main, cand and c8 (main with 8 chains) in three interleaved rounds. (2) GPU
# tests [flash3],[fp8],[dropout] beside verify runs; sanitizers of fp8 D 128/256. (3) Issue 11's bar table.
source "$(dirname "$0")/../common/device.sh"
P="--tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 64,128,256 --dtype fp8,bf16 --causal both --pass fwd"
cudnn_once big:60:P
flash3_rounds 3 main,cand,c8 big:60:P
python3 "$COMMON/variants.py" $OUT main,cand,c8 | tee -a $S
pack bench
tests_bg 300 "[flash3],[fp8],[dropout]"
for tool in memcheck racecheck synccheck; do
  timeout 90 compute-sanitizer --tool $tool --error-exitcode 9 $B verify --kernel flash3 --batch 1 --heads 2 --seqlen 300,700 --seqlen-kv 257,700 --head-dim 128,256 --causal both --pass fwd --dtype fp8 > $OUT/san-$tool.log 2>&1
  echo "$tool fp8 D128/256 rc=$? $(grep -E 'ERROR SUMMARY' $OUT/san-$tool.log | sort | uniq -c | tr '\n' ' ') $(tail -1 $OUT/san-$tool.log)" >> $OUT/side.txt
done
timeout 60 $B verify --kernel flash3 --batch 2 --heads 3 --seqlen 1,17,255,1000,4097 --seqlen-kv 255,1000 --head-dim 64,128,256 --dtype fp8 --causal both --pass fwd > $OUT/verify8.log 2>&1
echo "verify fp8 rc=$? $(tail -1 $OUT/verify8.log)" >> $OUT/side.txt
timeout 60 $B verify --kernel flash3 --batch 2 --heads 3 --seqlen 1,17,1000 --seqlen-kv 255,1000 --head-dim 64,96,128,256 --dtype fp16,bf16 --causal both --dropout 0,0.17 --pass fwd > $OUT/verify16.log 2>&1
echo "verify 16-bit fwd rc=$? $(tail -1 $OUT/verify16.log)" >> $OUT/side.txt
checks_end
note "== issue 11 bars (main)"
BARS="--tokens 16384 --hidden 2048 --head-dim 64,128 --dtype bf16 --causal both --pass fwd,fwdbwd"
timeout 120 $B run --kernel flash,flash3,cudnn $BARS --seqlen 512,1024,8192 $F --out $OUT/bars-1 > /dev/null 2>&1
timeout 50 $B run --kernel flash3,cudnn $BARS --seqlen 8192 $F --out $OUT/bars-2 > /dev/null 2>&1
python3 "$COMMON/bar_table.py" $OUT | tee -a $S
pack bars
