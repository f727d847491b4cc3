#!/usr/bin/env bash
# Device call 3 (session 16): the submitted build (c199095). (1) Issue 11's bar table: flash, flash3, cudnn, bf16,
# 16k tokens, hidden 2048, N 512/1024/8192, D 64/128, causal both, fwd and fwd+bwd (round 1), and N 8192 again for
# flash3 and cudnn (round 2). (2) The seed point, fp16 D64, dropout 0 and 0.2, flash, flash3, cudnn. (3) D 128 with
# dropout 0.2, N 8192, causal both: old (session 15's build) against main, four interleaved rounds (call 2 left
# +2.4 % / +5.7 % with rounds 6 % apart). (4) flash (FlashAttention-2 style) with DropoutRow in its forward: the seed
# point with dropout 0 and 0.2, old against main, three interleaved rounds. (5) GPU tests [flash],[dropout],[flash3].
source "$(dirname "$0")/../common/device.sh"
P="--tokens 16384 --hidden 2048 --seqlen 512,1024,8192 --head-dim 64,128 --dtype bf16 --causal both --pass fwd,fwdbwd"
timeout 150 $B run --kernel flash,flash3,cudnn $P $F --out $OUT/bars-1 > /dev/null 2>&1
timeout 60 $B run --kernel flash3,cudnn --tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 64,128 --dtype bf16 --causal both --pass fwd,fwdbwd $F --out $OUT/bars-2 > /dev/null 2>&1
python3 "$COMMON/bar_table.py" $OUT | tee -a $S
note "== seed point"
timeout 60 $B run --kernel flash,flash3,cudnn --batch 32 --heads 8 --seqlen 2048 --head-dim 64 --dtype fp16 --dropout 0,0.2 --pass fwd $F --out $OUT/seed > /dev/null 2>&1
python3 - $OUT <<'PY' | tee -a $S
import csv, sys
for x in csv.DictReader(open(sys.argv[1] + '/seed/results.csv')):
    print("%-7s p %s: %s ms (%s MHz) %s" % (x['kernel'], x['dropout'], x['median_ms'], x['sm_clock_sample_mhz'][:4], x['status']))
PY
note "== D128 dropout, old vs main"
for round in 1 2 3 4; do
  for v in old main; do
    Y=$(bin_of $v)
    timeout 30 $Y run --kernel flash3 --tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 128 --dtype bf16 --causal both --dropout 0.2 --pass fwd $F --out $OUT/d128-$v-$round > /dev/null 2>&1
  done
done
python3 "$COMMON/variants.py" $OUT old,main d128 | tee -a $S
note "== flash forward with DropoutRow, old vs main"
for round in 1 2 3; do
  for v in old main; do
    Y=$(bin_of $v)
    timeout 30 $Y run --kernel flash --batch 32 --heads 8 --seqlen 2048 --head-dim 64,128 --dtype fp16 --dropout 0,0.2 --pass fwd $F --out $OUT/flash-$v-$round > /dev/null 2>&1
  done
done
python3 "$COMMON/variants.py" $OUT old,main flash | tee -a $S
pack bench
timeout 300 .carry/fa_bench_gpu_tests "[flash],[dropout],[flash3]" > $OUT/tests.log 2>&1; note "tests rc=$? $(grep -E 'test cases' $OUT/tests.log | tail -1)"
grep -h -B3 -A12 FAILED $OUT/tests.log | head -40 | tee -a $S
pack tests
