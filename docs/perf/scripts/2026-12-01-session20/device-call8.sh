#!/usr/bin/env bash
# Device call 8 (session 20): a timeline of the submitted fp8 D 128 serial loop. The `trace` build (trace.patch, not
# submitted) has lane 0 of each consumer warp of CTA 0 read %clock at each step of the first 32 key blocks of its
# first tile: loop top, turn entered (after its barrier), turn left (after the arrive), P packed, P V done (wait 1),
# the second S half done (wait 0), masked; a separate kernel prints them (a printf in the forward serialises its
# wgmmas). Then main against trace, one round, to see what the clock reads cost.
source "$(dirname "$0")/../common/device.sh"
for c in false true; do
  timeout 60 $(bin_of trace) run --kernel flash3 --batch 2 --heads 16 --seqlen 8192 --head-dim 128 --dtype fp8 \
    --causal $c --pass fwd $F --out $OUT/trace-$c > $OUT/trace-$c.txt 2>&1
  note "trace causal=$c rc=$? lines $(grep -c TRACE $OUT/trace-$c.txt)"
done
D128="--tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 128 --dtype fp8 --causal both --pass fwd"
flash3_rounds 1 main,trace d128:20:D128
python3 "$COMMON/variants.py" $OUT main,trace | tee -a $S
pack trace
