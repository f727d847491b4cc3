#!/usr/bin/env bash
# Device call 4 (session 18): ptxas places the forward's wgmma.wait_group 0 (the P V GEMM's) before the
# exponentials in every instance (SASS: W1 W0 then the MUFU stream), so the intra-warpgroup overlap of the softmax
# with P V does not happen. Builds on cand (call 3) that drop it at fp8 D 128 and wait for each GEMM in turn:
# ser192 (192 keys per block, ping-pong as cand), ser256 (256 keys, as cuDNN's fp8 kernel, which fits once P need
# not live beside the next S), ser256np (256 keys, no ping-pong). fp8 D 128 N 8192, causal both, three interleaved
# rounds against main and cand; cuDNN once; verify fp8 on ser192 and ser256.
source "$(dirname "$0")/../common/device.sh"
D128="--tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 128 --dtype fp8 --causal both --pass fwd"
cudnn_once d128:30:D128
V=main,cand,ser192,ser256,ser256np
flash3_rounds 3 $V d128:20:D128
python3 "$COMMON/variants.py" $OUT $V d128 | tee -a $S
pack bench
for v in ser192 ser256 ser256np; do
  timeout 40 $(bin_of $v) verify --kernel flash3 --batch 2 --heads 3 --seqlen 1,17,255,1000,4097 --seqlen-kv 255,1000 --head-dim 128 --dtype fp8 --causal both --pass fwd > $OUT/verify-$v.log 2>&1
  note "verify $v fp8 D128 rc=$? $(tail -1 $OUT/verify-$v.log)"
done
pack checks
