#!/usr/bin/env bash
# Device call 3 (session 18): cand = main (85a0286) + the transposers' piece addressing (tx), fp8 D 128 non-causal
# softmax chains and the consumer index broadcast (cwb), without call 2's suspend hint (it cost everywhere);
# xs = cand with the fp8 D 128 ping-pong turns taken around the exponentials instead of the GEMM issue, as cuDNN's
# fp8 kernel orders its two warpgroups (call 1's SASS: a named barrier before and after its exponentials).
# (1) Interleaved rounds: fp8 D 128 (main, cand, xs), fp8 D 64/256 and bf16 D 64/128 (main, cand); cuDNN once.
# (2) Nsight Compute of cand and xs at fp8 D 128. (3) verify xs fp8.
source "$(dirname "$0")/../common/device.sh"
D128="--tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 128 --dtype fp8 --causal both --pass fwd"
REST="--tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 64,256 --dtype fp8 --causal both --pass fwd"
B16="--tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 64,128 --dtype bf16 --causal both --pass fwd"
cudnn_once d128:30:D128 rest:40:REST b16:40:B16
flash3_rounds 3 main,cand,xs d128:20:D128
flash3_rounds 2 main,cand rest:30:REST b16:30:B16
python3 "$COMMON/variants.py" $OUT main,cand,xs d128 | tee -a $S
python3 "$COMMON/variants.py" $OUT main,cand rest | tee -a $S
python3 "$COMMON/variants.py" $OUT main,cand b16 | tee -a $S
pack bench
for v in cand xs; do
  B=$(bin_of $v) prof f3fp8-$v flash3_fwd_kernel --kernel flash3 --pass fwd --batch 2 --heads 16 --seqlen 8192 --head-dim 128 --dtype fp8
done
pack ncu
timeout 60 $(bin_of xs) verify --kernel flash3 --batch 2 --heads 3 --seqlen 1,17,255,1000,4097 --seqlen-kv 255,1000 --head-dim 64,128,256 --dtype fp8 --causal both --pass fwd > $OUT/verify8.log 2>&1
note "verify xs fp8 rc=$? $(tail -1 $OUT/verify8.log)"
pack checks
