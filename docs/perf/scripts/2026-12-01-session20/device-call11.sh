#!/usr/bin/env bash
# Device call 11 (session 20): main = call 10's build. (1) verify fp8 of flash3 alone on call 10's point set (its
# flash3,cudnn run hit the 60 s limit), and of flash3 and cudnn together on session 12's set (fewer lengths). (2) The
# causal tile order's round size (fwd_causal_round_tiles, 8 tiles up to 64 tiles per head) at fp8 D 128: r4 and r16,
# three interleaved rounds against main, causal N 8192; cuDNN once.
source "$(dirname "$0")/../common/device.sh"
timeout 90 $B verify --kernel flash3 --batch 2 --heads 4 --kv-heads 2,4 --seqlen 1,17,255,1000,4097 --seqlen-kv 255,1000 \
  --head-dim 64,128,256 --dtype fp8 --causal both --pass fwd > $OUT/verify8.log 2>&1
note "verify fp8 flash3 rc=$? $(tail -1 $OUT/verify8.log)"
timeout 200 $B verify --kernel flash3,cudnn --dtype fp8 --batch 2 --heads 4 --seqlen 17,255,1000 --seqlen-kv 255,1000 \
  --head-dim 64,128,256 --causal both --pass fwd > $OUT/verify8c.log 2>&1
note "verify fp8 flash3,cudnn rc=$? $(tail -1 $OUT/verify8c.log)"
D128C="--tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 128 --dtype fp8 --causal true --pass fwd"
cudnn_once d128:30:D128C
flash3_rounds 3 main,r4,r16 d128:20:D128C
python3 "$COMMON/variants.py" $OUT main,r4,r16 | tee -a $S
pack bench
