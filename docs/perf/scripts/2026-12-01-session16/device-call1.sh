#!/usr/bin/env bash
# Device call 1 (session 16): dropout's flags drawn by producer warps (kFlagsByProducer) in the flash3 forward.
# Binaries: old = session 15's build (consumers draw their own flags); main = flags drawn by producer warps at
# D 64 (three consumer warpgroups); all = the same at every head dim. (1) Timing, three interleaved rounds: the
# seed point (B 32 H 8 N 2048 D 64 fp16, dropout 0 and 0.2) and N 8192, 16k tokens, hidden 2048, D 64/128/256,
# bf16, causal both, dropout 0 and 0.2, forward (two rounds); cuDNN once. (2) verify with dropout at every head
# dim and the lengths of issue 11 (main, then all while time is left).
source "$(dirname "$0")/../common/device.sh"
SEED="--batch 32 --heads 8 --seqlen 2048 --head-dim 64 --dtype fp16 --dropout 0,0.2 --pass fwd"
BIG="--tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 64,128,256 --dtype bf16 --causal both --dropout 0,0.2 --pass fwd"
cudnn_once seed:60:SEED big:60:BIG
for round in 1 2 3; do
  for v in old main all; do
    Y=$(bin_of $v)
    timeout 30 $Y run --kernel flash3 $SEED $F --out $OUT/seed-$v-$round > /dev/null 2>&1
    [[ $round != 3 ]] && timeout 60 $Y run --kernel flash3 $BIG $F --out $OUT/big-$v-$round > /dev/null 2>&1
  done
done
python3 "$COMMON/variants.py" $OUT old,main,all | tee -a $S
pack bench
V="--batch 2 --heads 3 --seqlen 1,17,255,1000,4097 --seqlen-kv 255,1000 --head-dim 64,96,128,256 --dtype fp16,bf16 --causal both --dropout 0.17 --pass fwd"
timeout 130 $B verify --kernel flash3 $V > $OUT/verify-main.log 2>&1; note "verify main dropout rc=$? $(tail -1 $OUT/verify-main.log)"
timeout 100 .carry/exp/fa-bench-all verify --kernel flash3 $V > $OUT/verify-all.log 2>&1; note "verify all dropout rc=$? $(tail -1 $OUT/verify-all.log)"
pack verify
