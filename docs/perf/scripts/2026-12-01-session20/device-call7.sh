#!/usr/bin/env bash
# Device call 7 (session 20): a token for the GEMMs beside the exponentials' turns (fp8 D 128). Each warpgroup takes
# the token (named barrier 8 + cw) before issuing a GEMM batch (S of the first block; each P V with the next S; the
# last P V) and passes it on: g1 once the batch is issued, g2 once it is done. Quick verify of each, then three
# interleaved rounds against main, fp8 D 128 N 8192 causal both; cuDNN once.
source "$(dirname "$0")/../common/device.sh"
for v in g1 g2; do
  timeout 60 $(bin_of $v) verify --kernel flash3 --batch 2 --heads 4 --kv-heads 2,4 --seqlen 1,255,1000,4097 \
    --seqlen-kv 255,1000 --head-dim 128 --dtype fp8 --causal both --pass fwd > $OUT/verify-$v.log 2>&1
  note "verify fp8 D128 $v rc=$? $(tail -1 $OUT/verify-$v.log)"
done
D128="--tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 128 --dtype fp8 --causal both --pass fwd"
cudnn_once d128:30:D128
flash3_rounds 3 main,g1,g2 d128:20:D128
python3 "$COMMON/variants.py" $OUT main,g1,g2 | tee -a $S
pack bench
