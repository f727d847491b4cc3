#!/usr/bin/env bash
# Device call 7 (session 19): the producer warpgroup's mbarrier waits (TMA thread, V transposers) back off instead of
# spinning beside the consumers on their sub-partitions: ps1 = __nanosleep(64) between tries, ps2 = try_wait with a
# suspend-time hint (the consumers' waits spin as before). Against main (call 6). fp8 D 64/128/256 and bf16 D 128,
# N 8192, causal both, three interleaved rounds; cuDNN once; verify of ps1 and ps2 (fp8).
source "$(dirname "$0")/../common/device.sh"
for v in ps1 ps2; do
  timeout 120 $(bin_of $v) verify --kernel flash3 --batch 2 --heads 3 --seqlen 1,17,255,1000,4097 --seqlen-kv 255,1000 \
    --head-dim 64,128,256 --dtype fp8 --causal both --pass fwd > $OUT/verify-$v.log 2>&1
  note "verify $v rc=$? $(tail -1 $OUT/verify-$v.log)"
done
P8="--tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 64,128,256 --dtype fp8 --causal both --pass fwd"
P16="--tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 128 --dtype bf16 --causal both --pass fwd"
cudnn_once f8:60:P8 b16:30:P16
flash3_rounds 3 main,ps1,ps2 f8:40:P8 b16:20:P16
python3 "$COMMON/variants.py" $OUT main,ps1,ps2 | tee -a $S
pack bench
