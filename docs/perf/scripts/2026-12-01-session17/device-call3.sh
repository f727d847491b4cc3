#!/usr/bin/env bash
# Device call 3 (session 17): (1) the fp8 forward without ping-pong at D 256 (npp256) or D 128 (npp128), and npp256r
# = npp256 with 24 / 240 producer / consumer registers at fp8 D 256, against base (94a7dca): fp8 N 8192, 16k tokens,
# hidden 2048, D 128/256, causal both, forward, three interleaved rounds, cuDNN once. (2) Issue 11's bar table on base
# (as session 16's call 3: flash, flash3, cudnn, bf16, N 512/1024/8192, D 64/128, causal both, fwd and fwd+bwd; N 8192
# twice). (3) verify fp8 on the variants.
source "$(dirname "$0")/../common/device.sh"
P="--tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 128,256 --dtype fp8 --causal both --pass fwd"
V="base,npp256,npp128,npp256r"
cudnn_once fp8:60:P
flash3_rounds 3 $V fp8:40:P
python3 "$COMMON/variants.py" $OUT $V | tee -a $S
note "== issue 11 bars (base)"
Y=$(bin_of base)
BARS="--tokens 16384 --hidden 2048 --head-dim 64,128 --dtype bf16 --causal both --pass fwd,fwdbwd"
timeout 150 $Y run --kernel flash,flash3,cudnn $BARS --seqlen 512,1024,8192 $F --out $OUT/bars-1 > /dev/null 2>&1
timeout 60 $Y run --kernel flash3,cudnn $BARS --seqlen 8192 $F --out $OUT/bars-2 > /dev/null 2>&1
python3 "$COMMON/bar_table.py" $OUT | tee -a $S
pack bench
for v in npp256 npp128 npp256r; do
  timeout 40 $(bin_of $v) verify --kernel flash3 --batch 2 --heads 3 --seqlen 1,17,255,1000,4097 --seqlen-kv 255,1000 --head-dim 128,256 --dtype fp8 --causal both --pass fwd > $OUT/verify8-$v.log 2>&1
  note "verify $v fp8 rc=$? $(tail -1 $OUT/verify8-$v.log)"
done
pack verify
