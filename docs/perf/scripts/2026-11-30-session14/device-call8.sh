#!/usr/bin/env bash
# Device call 8 (session 14): Nsight Compute full set of the fp8 forward at D128 N8192 (issue 12's bar point, 0.83x
# cuDNN) and of the bf16 one beside it, to see what bounds the fp8 kernel since the V transpose was fixed.
set -uo pipefail
cd .carry && xz -d -k -f fa-bench.xz && chmod +x fa-bench && cd ..
B=.carry/fa-bench
S=$OUT/summary.txt; : > $S
note() { echo "$*" | tee -a $S; }
pack() { (cd $OUT && tar -czf $1.tgz --exclude='*.tgz' --exclude=summary.txt $(ls | grep -v -e '\.tgz$' -e '^summary.txt$') && find . -mindepth 1 -maxdepth 1 ! -name '*.tgz' ! -name summary.txt -exec rm -rf {} +); }
nvidia-smi --query-gpu=name,uuid,clocks.sm,power.limit --format=csv,noheader | tee -a $S
prof() {  # name, kernel regex, fa-bench profile args
  local n=$1 k=$2; shift 2
  timeout 150 ncu --clock-control none --profile-from-start off --set full --import-source yes -k "regex:$k" -c 1 -o $OUT/$n $B profile "$@" > $OUT/$n.log 2>&1
  note "ncu $n rc=$?"
  ncu -i $OUT/$n.ncu-rep --page details > $OUT/$n-details.txt 2>&1
  ncu -i $OUT/$n.ncu-rep --page source --print-source sass --csv > $OUT/$n-sass.csv 2>&1
  rm -f $OUT/$n.ncu-rep
  grep -E "Duration|Issue Slots Busy|No Eligible|Executed Instructions  |highest-utilized" $OUT/$n-details.txt | head -8 | tee -a $S
  grep -E "^ +(ALU|FMA|FMA \(FP16\)|XU|Tensor|LSU|ADU|CBU|Uniform)[^%]*%" $OUT/$n-details.txt | head -12 | tee -a $S
  python3 .carry/ncu_top_stalls.py $OUT/$n-sass.csv 40 > $OUT/$n-top-stalls.txt 2>&1; head -14 $OUT/$n-top-stalls.txt | cut -c1-220 | tee -a $S
  rm -f $OUT/$n-sass.csv
}
prof fp8-d128 flash3_fwd_kernel --kernel flash3 --pass fwd --batch 2 --heads 16 --seqlen 8192 --head-dim 128 --dtype fp8
prof bf16-d128 flash3_fwd_kernel --kernel flash3 --pass fwd --batch 2 --heads 16 --seqlen 8192 --head-dim 128 --dtype bf16
pack ncu
