#!/usr/bin/env bash
# Device call 5 (session 18): fp8 D 128 with each block's GEMMs waited for in turn and no ping-pong (call 4's best,
# ser256np, here s256np), and what to add to it: s256nc (without the softmax chains), s256lz (conditional rescaling
# of O), s256trs (row sums on the tensor core), s192np (192 keys per block). main is cand of call 3 (the forward
# before the serial experiment). Three interleaved rounds, cuDNN once; Nsight Compute of s256np.
source "$(dirname "$0")/../common/device.sh"
D128="--tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 128 --dtype fp8 --causal both --pass fwd"
cudnn_once d128:30:D128
V=main,s256np,s256nc,s256lz,s256trs,s192np
flash3_rounds 3 $V d128:20:D128
python3 "$COMMON/variants.py" $OUT $V d128 | tee -a $S
pack bench
B=$(bin_of s256np) prof f3fp8-s256np flash3_fwd_kernel --kernel flash3 --pass fwd --batch 2 --heads 16 --seqlen 8192 --head-dim 128 --dtype fp8
pack ncu
