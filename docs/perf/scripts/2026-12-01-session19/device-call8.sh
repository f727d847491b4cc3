#!/usr/bin/env bash
# Device call 8 (session 19): fp8 V^T from global memory, transposed by a kernel before the forward
# (flash3_vt_transpose.cu; the producer warps no longer transpose): vtg1 at D 128, vtg2 at D 64/128/256. Against main
# (call 6's build). verify of each (fp8, ragged lengths, GQA); three interleaved rounds, fp8 N 8192, causal both;
# cuDNN once.
source "$(dirname "$0")/../common/device.sh"
for v in vtg1 vtg2; do
  timeout 120 $(bin_of $v) verify --kernel flash3 --batch 2 --heads 4 --kv-heads 2 --seqlen 1,17,255,1000,4097 \
    --seqlen-kv 255,1000 --head-dim 64,128,256 --dtype fp8 --causal both --pass fwd > $OUT/verify-$v.log 2>&1
  note "verify $v rc=$? $(tail -1 $OUT/verify-$v.log)"
done
P8="--tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 64,128,256 --dtype fp8 --causal both --pass fwd"
cudnn_once f8:60:P8
flash3_rounds 3 main,vtg1,vtg2 f8:40:P8
python3 "$COMMON/variants.py" $OUT main,vtg1,vtg2 | tee -a $S
pack bench
