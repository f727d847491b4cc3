#!/usr/bin/env bash
# Device call 6 (session 17): the build to submit (main: call 5's main with the vote on `moved` at fp8 D 256, whose
# SASS is call 4's there; every other forward instance has base's SASS). (1) Issue 12's table: flash3 and cuDNN, fp8
# and bf16, D 64/128/256, N 8192, 16k tokens, hidden 2048, causal both, forward; base, main and c128 (main without
# ping-pong at fp8 D 128 causal) in three interleaved rounds. (2) Issue 11's bar table on main (as call 3). (3) The
# seed point with dropout 0 and 0.2 (flash3, cudnn). (4) GPU tests [fp8] on main.
source "$(dirname "$0")/../common/device.sh"
V="base,main,c128"
P="--tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 64,128,256 --dtype fp8,bf16 --causal both --pass fwd"
cudnn_once big:60:P
flash3_rounds 3 $V big:60:P
python3 "$COMMON/variants.py" $OUT $V | tee -a $S
note "== issue 11 bars (main)"
BARS="--tokens 16384 --hidden 2048 --head-dim 64,128 --dtype bf16 --causal both --pass fwd,fwdbwd"
timeout 150 $B run --kernel flash,flash3,cudnn $BARS --seqlen 512,1024,8192 $F --out $OUT/bars-1 > /dev/null 2>&1
timeout 60 $B run --kernel flash3,cudnn $BARS --seqlen 8192 $F --out $OUT/bars-2 > /dev/null 2>&1
python3 "$COMMON/bar_table.py" $OUT | tee -a $S
note "== seed point"
timeout 60 $B run --kernel flash3,cudnn --batch 32 --heads 8 --seqlen 2048 --head-dim 64 --dtype fp16 --dropout 0,0.2 --pass fwd $F --out $OUT/seed > /dev/null 2>&1
python3 - $OUT <<'PY' | tee -a $S
import csv, sys
for x in csv.DictReader(open(sys.argv[1] + '/seed/results.csv')):
    print("%-7s p %s: %s ms (%s MHz) %s" % (x['kernel'], x['dropout'], x['median_ms'], x['sm_clock_sample_mhz'][:4], x['status']))
PY
pack bench
timeout 200 $T "[fp8]" > $OUT/tests.log 2>&1; note "tests [fp8] rc=$? $(grep -E 'test cases' $OUT/tests.log | tail -1)"
pack tests
