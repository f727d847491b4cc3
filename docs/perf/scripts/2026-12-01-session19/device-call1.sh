#!/usr/bin/env bash
# Device call 1 (session 19): which pipe the fp8 D 128 forward's exponential turn waits on. pipe_rates (built from
# pipe_rates.cu here, carried) measures the issue rate of ex2, the fp8 / 16-bit packing conversions and their mixes on
# one SM; Nsight Compute's per-pipe utilisation of our fp8 D 128 forward and of cuDNN's.
source "$(dirname "$0")/../common/device.sh"
chmod +x .carry/exp/pipe_rates
.carry/exp/pipe_rates 2>&1 | tee $OUT/pipe_rates.txt | tee -a $S
M='regex:^(sm__inst_executed_pipe_[a-z0-9_]+|sm__pipe_[a-z0-9_]+_cycles_active)\.avg\.pct_of_peak_sustained_active$'
A="--pass fwd --batch 2 --heads 16 --seqlen 8192 --head-dim 128 --dtype fp8"
timeout 120 ncu --clock-control none --profile-from-start off --metrics "$M" -k regex:flash3_fwd_kernel -c 1 \
  $B profile --kernel flash3 $A > $OUT/pipes-flash3.txt 2>&1; note "ncu flash3 rc=$?"
timeout 120 ncu --clock-control none --profile-from-start off --metrics "$M" -k "regex:." -c 1 \
  $B profile --kernel cudnn $A > $OUT/pipes-cudnn.txt 2>&1; note "ncu cudnn rc=$?"
paste <(grep -E "sm__" $OUT/pipes-flash3.txt | awk '{print $1, $NF}') <(grep -E "sm__" $OUT/pipes-cudnn.txt | awk '{print $NF}') \
  | awk '$2 > 0.5 || $3 > 0.5' | tee -a $S
pack pipes
