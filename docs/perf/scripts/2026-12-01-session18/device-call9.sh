#!/usr/bin/env bash
# Device call 9 (session 18): with the turns, a warpgroup's exponentials run alone and take ~2100 cycles for ~130
# MUFU.EX2 per warp (about 16 cycles each, where the sub-partition's MUFU could take one every 8), and the issue slots
# between them are mostly idle. So a share of them on the FMA pipe (exp2_poly, FlashAttention-4's trick) may now pay,
# where it did not without turns (session 15 call 2). p16, p8, p4: every 16th, 8th, 4th exponential of fp8 D 128
# non-causal by the polynomial. Three interleaved rounds against main (call 7's build); cuDNN once; verify fp8 D 128
# of each (the polynomial's error is 7.5e-5 relative, under e4m3's rounding).
source "$(dirname "$0")/../common/device.sh"
D128="--tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 128 --dtype fp8 --causal false --pass fwd"
cudnn_once d128:30:D128
flash3_rounds 3 main,p16,p8,p4 d128:15:D128
python3 "$COMMON/variants.py" $OUT main,p16,p8,p4 d128 | tee -a $S
pack bench
for v in p16 p8 p4; do
  timeout 30 $(bin_of $v) verify --kernel flash3 --batch 2 --heads 3 --seqlen 1,17,255,1000,4097 --seqlen-kv 255,1000 --head-dim 128 --dtype fp8 --causal both --pass fwd > $OUT/verify-$v.log 2>&1
  note "verify $v fp8 D128 rc=$? $(tail -1 $OUT/verify-$v.log)"
done
pack checks
