#!/usr/bin/env bash
# Device call 5 (session 19): the turns on causal fp8 D 128 (FA_EXP_CT), with the turn variants of call 4: ct0 (as
# session 18, turns only), ct4 (the sync after the row maxima), ct1 (O rescaled after the turn), late5ct (both).
# Against orig; verify of each; three interleaved rounds, N 8192, causal both (ct0 is orig where non-causal); cuDNN once.
source "$(dirname "$0")/../common/device.sh"
V=ct0,ct4,ct1,late5ct
for v in ${V//,/ }; do
  timeout 120 $(bin_of $v) verify --kernel flash3 --batch 2 --heads 3 --seqlen 1,17,255,1000,4097 --seqlen-kv 255,1000 \
    --head-dim 128 --dtype fp8 --causal both --pass fwd > $OUT/verify-$v.log 2>&1
  note "verify $v rc=$? $(tail -1 $OUT/verify-$v.log)"
done
D128="--tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 128 --dtype fp8 --causal both --pass fwd"
cudnn_once d128:30:D128
flash3_rounds 3 orig,$V d128:20:D128
python3 "$COMMON/variants.py" $OUT orig,$V d128 | tee -a $S
pack bench
