#!/usr/bin/env bash
# Device call 1 (session 12): main at b4d83ee. The GPU tests not re-run after the house refactor (issue 13:
# everything but [flash3] and [gqa], durations printed as each case ends); the GQA timing bar (32/8 against
# 32/32 fwd+bwd, N 8k); Nsight Compute full sets of flash3's backward (D128, non-causal), cuDNN's backward on
# the same point, flash3's causal forward and flash3's forward at the seed point with dropout.
set -uo pipefail
cd .carry && for f in *.xz; do xz -d -k -f $f; done && chmod +x fa-bench fa_bench_gpu_tests && cd ..
B=.carry/fa-bench; T=.carry/fa_bench_gpu_tests
S=$OUT/summary.txt; : > $S
note() { echo "$*" | tee -a $S; }
pack() { (cd $OUT && tar -czf $1.tgz --exclude='*.tgz' --exclude=summary.txt $(ls | grep -v -e '\.tgz$' -e '^summary.txt$') && find . -mindepth 1 -maxdepth 1 ! -name '*.tgz' ! -name summary.txt -exec rm -rf {} +); }
nvidia-smi --query-gpu=name,uuid,driver_version,clocks.sm,power.limit --format=csv,noheader | tee -a $S
note "== GPU tests ~[flash3]~[gqa]"
timeout 290 $T "~[flash3]~[gqa]" -d yes > $OUT/tests.log 2>&1; note "rc=$? $(grep -E 'test cases' $OUT/tests.log | tail -1)"
grep -B3 -A15 FAILED $OUT/tests.log | head -60 | tee -a $S
awk '/ s: /' $OUT/tests.log | sort -rn | head -8 | tee -a $S
pack tests
note "== GQA bar: 32/8 vs 32/32, fwdbwd, N 8192, D 128, bf16"
timeout 60 $B run --kernel flash,cudnn --batch 2 --heads 32 --kv-heads 32,8 --seqlen 8192 --head-dim 128 --dtype bf16 --pass fwd,fwdbwd --causal both --max-time 0.2 --no-counters --out $OUT/gqa > $OUT/gqa.log 2>&1; note "rc=$?"
python3 - $OUT/gqa/results.csv <<'PY' | tee -a $S
import csv, sys
for r in csv.DictReader(open(sys.argv[1])):
    print("%-6s %-6s causal=%-5s kv=%-3s %8s ms %6s TFLOP/s %s" % (r['kernel'], r['pass'], r['causal'], r.get('kv_heads',''), r['median_ms'], r['tflops'], r['status']))
PY
note "== ncu"
P="--batch 2 --heads 16 --seqlen 8192 --head-dim 128 --dtype bf16"
prof() {  # name, kernel regex, fa-bench profile args
  local n=$1 k=$2; shift 2
  timeout 120 ncu --clock-control none --profile-from-start off --set full --import-source yes -k "regex:$k" -c ${NCU_COUNT:-1} -o $OUT/$n $B profile "$@" > $OUT/$n.log 2>&1
  note "ncu $n rc=$?"
  ncu -i $OUT/$n.ncu-rep --page details > $OUT/$n-details.txt 2>&1
  ncu -i $OUT/$n.ncu-rep --page source --print-source sass --csv > $OUT/$n-sass.csv 2>&1
  grep -E "Duration|Compute \(SM\) Throughput|Memory Throughput|Registers Per|Achieved Occupancy|Issue Slots Busy|No Eligible" $OUT/$n-details.txt | head -12 | tee -a $S
}
prof f3bwd flash3_bwd_kernel --kernel flash3 --pass bwd $P
NCU_COUNT=4 prof cudnnbwd "." --kernel cudnn --pass bwd $P --warmup 1
prof f3fwdc flash3_fwd_kernel --kernel flash3 --pass fwd $P --causal 1
prof f3drop flash3_fwd_kernel --kernel flash3 --pass fwd --batch 32 --heads 8 --seqlen 2048 --head-dim 64 --dtype fp16 --dropout 0.2
prof f3nodrop flash3_fwd_kernel --kernel flash3 --pass fwd --batch 32 --heads 8 --seqlen 2048 --head-dim 64 --dtype fp16
pack ncu
