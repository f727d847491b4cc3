#!/usr/bin/env bash
# Device call 8 (session 15): Nsight Compute of the flash3 backward main kernel at issue 11's causal fwd+bwd point
# (bf16 D128 N8192, B2 H16, causal), the bar that sits at the line, for the next session to work from; summarised
# by ncu_top_stalls.py (session 13).
set -uo pipefail
cd .carry && xz -d -k -f fa-bench.xz && chmod +x fa-bench && cd ..
B=.carry/fa-bench
S=$OUT/summary.txt; : > $S
note() { echo "$*" | tee -a $S; }
nvidia-smi --query-gpu=name,uuid,clocks.sm,power.limit --format=csv,noheader | tee -a $S
prof() {  # name, kernel regex, fa-bench profile args
  local n=$1 k=$2; shift 2
  timeout 150 ncu --clock-control none --profile-from-start off --set full --import-source yes -k "regex:$k" -c 1 -o $OUT/$n $B profile "$@" > $OUT/$n.log 2>&1
  note "ncu $n rc=$?"
  ncu -i $OUT/$n.ncu-rep --page details > $OUT/$n-details.txt 2>&1
  ncu -i $OUT/$n.ncu-rep --page source --print-source sass --csv > $OUT/$n-sass.csv 2>&1
  rm -f $OUT/$n.ncu-rep
  grep -E "Duration|Issue Slots Busy|Executed Instructions  |highest-utilized|Registers Per|Achieved Occupancy" $OUT/$n-details.txt | head -8 | tee -a $S
  python3 .carry/ncu_top_stalls.py $OUT/$n-sass.csv 40 > $OUT/$n-top-stalls.txt 2>&1; head -3 $OUT/$n-top-stalls.txt | cut -c1-600 | tee -a $S
  rm -f $OUT/$n-sass.csv
}
prof bwd-d128-causal flash3_bwd_kernel --kernel flash3 --pass bwd --batch 2 --heads 16 --seqlen 8192 --head-dim 128 --dtype bf16 --causal 1
