#!/usr/bin/env bash
# Device call 6 (session 19): main = the turns on causal fp8 D 128 too (kExpTurns), against orig (session 18);
# notr = main with the V transposers' copy skipped (wrong results: an upper bound for what the transposers cost).
# GPU tests [flash3],[fp8] and verify of main; three interleaved rounds, fp8 D 128 N 8192, causal both; cuDNN once.
source "$(dirname "$0")/../common/device.sh"
tests_bg 200 "[flash3],[fp8]"
timeout 120 $B verify --kernel flash3 --batch 2 --heads 3 --seqlen 1,17,255,1000,4097 --seqlen-kv 255,1000 \
  --head-dim 64,128,256 --dtype fp8 --causal both --pass fwd > $OUT/verify8.log 2>&1
echo "verify fp8 rc=$? $(tail -1 $OUT/verify8.log)" >> $OUT/side.txt
checks_end  # before the timing: nothing else on the GPU then
D128="--tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 128 --dtype fp8 --causal both --pass fwd"
cudnn_once d128:30:D128
flash3_rounds 3 orig,main,notr d128:20:D128
python3 "$COMMON/variants.py" $OUT orig,main,notr d128 | tee -a $S
pack bench
