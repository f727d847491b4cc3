#!/usr/bin/env bash
# Device call 1 (session 17): the forward softmax's row maximum as independent chains joined by a tree instead of
# one chain of BN / 4 dependent FMNMX per row. Binaries: base = 94a7dca; m4 = 4 chains per row; m4s4 = 4 chains for
# the maximum and 4 partial row sums; m8 = 8 chains for the maximum. (1) N 8192, 16k tokens, hidden 2048, D 64/128/256,
# bf16 and fp8, causal both, and the seed point (B 32 H 8 N 2048 D 64 fp16, dropout 0 and 0.2), forward, three
# interleaved rounds; cuDNN once. (2) verify flash3 with m4 and m4s4 (fp16/bf16/fp8, every head dim, ragged lengths).
source "$(dirname "$0")/../common/device.sh"
SEED="--batch 32 --heads 8 --seqlen 2048 --head-dim 64 --dtype fp16 --dropout 0,0.2 --pass fwd"
BIG="--tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 64,128,256 --dtype bf16,fp8 --causal both --pass fwd"
V="base,m4,m4s4,m8"
cudnn_once seed:40:SEED big:60:BIG
flash3_rounds 3 $V seed:30:SEED big:40:BIG
python3 "$COMMON/variants.py" $OUT $V | tee -a $S
pack bench
for v in m4 m4s4; do
  Y=$(bin_of $v)
  timeout 60 $Y verify --kernel flash3 --batch 2 --heads 3 --seqlen 1,17,255,1000,4097 --seqlen-kv 255,1000 --head-dim 64,96,128,256 --dtype fp16,bf16 --causal both --dropout 0,0.17 --pass fwd > $OUT/verify-$v.log 2>&1
  note "verify $v 16-bit rc=$? $(tail -1 $OUT/verify-$v.log)"
  timeout 40 $Y verify --kernel flash3 --batch 2 --heads 3 --seqlen 1,17,255,1000,4097 --seqlen-kv 255,1000 --head-dim 64,128,256 --dtype fp8 --causal both --pass fwd > $OUT/verify8-$v.log 2>&1
  note "verify $v fp8 rc=$? $(tail -1 $OUT/verify8-$v.log)"
done
pack verify
