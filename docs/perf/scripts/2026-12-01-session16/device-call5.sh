#!/usr/bin/env bash
# Device call 5 (session 16): dropout at D 128 and 256 under the new counter order. Binaries: old = session 15's build
# (old counter order, plain calls drawn after the pack); hoistall = DropoutRow drawn after the pack (c199095); main =
# plain calls after the pack; HE = DropoutRow drawn before the softmax; PE = plain calls before the softmax (D 64
# is the same in all but old). N 8192, 16k tokens, hidden 2048, D 128/256, bf16, causal both, dropout 0.2, forward,
# five variants, three interleaved rounds.
source "$(dirname "$0")/../common/device.sh"
BIG="--tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 128,256 --dtype bf16 --causal both --dropout 0.2 --pass fwd"
for round in 1 2 3; do
  for v in old hoistall main HE PE; do
    Y=$(bin_of $v)
    timeout 40 $Y run --kernel flash3 $BIG $F --out $OUT/big-$v-$round > /dev/null 2>&1
  done
done
python3 "$COMMON/variants.py" $OUT old,hoistall,main,HE,PE | tee -a $S
pack bench
