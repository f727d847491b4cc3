#!/usr/bin/env bash
# Device call 10 (session 19): on top of vtg1b (call 9: fp8 D 128 V^T from global memory): vwide (the producer
# warpgroup on 24 registers, consumers on 240, now that it has no transposers), vst3 (three K/V stages in the room of
# the raw V stages), vpdl (the forward launched programmatically dependent on the transpose). Against main; verify
# of each; three interleaved rounds, fp8 D 128 N 8192, causal both; cuDNN once.
source "$(dirname "$0")/../common/device.sh"
V=vtg1b,vwide,vst3,vpdl
for v in vwide vst3 vpdl; do
  timeout 120 $(bin_of $v) verify --kernel flash3 --batch 2 --heads 4 --kv-heads 2 --seqlen 1,17,255,1000,4097 \
    --seqlen-kv 255,1000 --head-dim 128 --dtype fp8 --causal both --pass fwd > $OUT/verify-$v.log 2>&1
  note "verify $v rc=$? $(tail -1 $OUT/verify-$v.log)"
done
D128="--tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 128 --dtype fp8 --causal both --pass fwd"
cudnn_once d128:30:D128
flash3_rounds 3 main,$V d128:20:D128
python3 "$COMMON/variants.py" $OUT main,$V d128 | tee -a $S
pack bench
