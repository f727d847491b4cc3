#!/usr/bin/env bash
# Device call 3 (session 13): Nsight Compute full sets (source-level SASS included) of the current flash3 backward
# at D128 N8192 and D64 N1024 (the bars it misses), and of the fp8 forward at D128 N8192 (slower than bf16).
set -uo pipefail
cd .carry && for f in *.xz; do xz -d -k -f $f; done && chmod +x fa-bench && cd ..
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
  grep -E "Duration|Issue Slots Busy|No Eligible|Tensor" $OUT/$n-details.txt | head -6 | tee -a $S
}
prof bwd128 flash3_bwd_kernel --kernel flash3 --pass bwd --batch 2 --heads 16 --seqlen 8192 --head-dim 128 --dtype bf16
prof bwd64 flash3_bwd_kernel --kernel flash3 --pass bwd --batch 16 --heads 32 --seqlen 1024 --head-dim 64 --dtype bf16
prof fp8fwd flash3_fwd_kernel --kernel flash3 --pass fwd --batch 2 --heads 16 --seqlen 8192 --head-dim 128 --dtype fp8
pack ncu
