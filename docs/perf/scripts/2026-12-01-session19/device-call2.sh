#!/usr/bin/env bash
# Device call 2 (session 19): a timeline of the fp8 D 128 forward's serial loop. The `trace` build (not submitted:
# FA_TRACE in flash3_fwd_kernel.cuh) has lane 0 of each consumer warp of CTA 0 read %clock around each step of
# the first 32 key blocks of its first tile (S waited, turn entered, softmax done, P packed, P V waited) and
# print them once; non-causal (with the turns) and causal (without). pipe_rates again, with its f16x2 exponentials
# on varying halves.
source "$(dirname "$0")/../common/device.sh"
chmod +x .carry/exp/pipe_rates
.carry/exp/pipe_rates 2>&1 | tee $OUT/pipe_rates.txt | grep -E "f16x2|bf16x2" | tee -a $S
for c in false true; do
  timeout 60 $(bin_of trace) run --kernel flash3 --batch 2 --heads 16 --seqlen 8192 --head-dim 128 --dtype fp8 \
    --causal $c --pass fwd $F --out $OUT/trace-$c > $OUT/trace-$c.txt 2>&1
  note "trace causal=$c rc=$? lines $(grep -c TRACE $OUT/trace-$c.txt) $(grep -h ',ok,' $OUT/trace-$c/results.csv | cut -d, -f1-3 | head -1)"
done
pack trace
