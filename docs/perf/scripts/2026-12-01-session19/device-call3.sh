#!/usr/bin/env bash
# Device call 3 (session 19): fp8 D 128 with the next block's S GEMM in flight during each block's softmax (two S
# buffers, the FA3 order; no turns, no serial GEMMs): ns128 (128 keys per block) and ns64 (64), against orig (the
# session 18 build). verify of each on fp8 D 128; three interleaved rounds, N 8192, causal both; cuDNN once.
source "$(dirname "$0")/../common/device.sh"
for v in ns128 ns64; do
  timeout 120 $(bin_of $v) verify --kernel flash3 --batch 2 --heads 3 --seqlen 1,17,255,1000,4097 --seqlen-kv 255,1000 \
    --head-dim 128 --dtype fp8 --causal both --pass fwd \
    > $OUT/verify-$v.log 2>&1
  note "verify $v rc=$? $(tail -1 $OUT/verify-$v.log)"
done
D128="--tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 128 --dtype fp8 --causal both --pass fwd"
cudnn_once d128:30:D128
flash3_rounds 3 orig,ns128,ns64 d128:20:D128
python3 "$COMMON/variants.py" $OUT orig,ns128,ns64 d128 | tee -a $S
pack bench
