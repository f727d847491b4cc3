#!/usr/bin/env bash
# Device call 6 (session 18): call 5's profile of s256np (fp8 D 128, each block's GEMMs waited for in turn, no
# ping-pong): one warp's softmax takes ~3000 cycles against 1024 of exponentials, because the two warpgroups' softmax
# phases overlap and share MUFU. Builds where the warpgroups take turns at the exponentials, as cuDNN's fp8 kernel
# does (a named barrier sync before them, an arrive after; a shared load of 0.0f feeding their arguments and the
# arrive predicated on the row sums keep ptxas from moving the barriers across them): s256x (256 keys), s256xnc
# (without the softmax chains), s192x (192 keys), s256xtrs (row sums on the tensor core). Against main (cand of
# call 3) and s256np; three interleaved rounds; cuDNN once; verify fp8 of each; Nsight Compute of s256x.
source "$(dirname "$0")/../common/device.sh"
D128="--tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 128 --dtype fp8 --causal both --pass fwd"
cudnn_once d128:30:D128
V=main,s256np,s256x,s256xnc,s192x,s256xtrs
flash3_rounds 3 $V d128:20:D128
python3 "$COMMON/variants.py" $OUT $V d128 | tee -a $S
pack bench
for v in s256x s256xnc s192x s256xtrs; do
  timeout 40 $(bin_of $v) verify --kernel flash3 --batch 2 --heads 3 --seqlen 1,17,255,1000,4097 --seqlen-kv 255,1000 --head-dim 128 --dtype fp8 --causal both --pass fwd > $OUT/verify-$v.log 2>&1
  note "verify $v fp8 D128 rc=$? $(tail -1 $OUT/verify-$v.log)"
done
pack checks
B=$(bin_of s256x) prof f3fp8-s256x flash3_fwd_kernel --kernel flash3 --pass fwd --batch 2 --heads 16 --seqlen 8192 --head-dim 128 --dtype fp8
pack ncu
