#!/usr/bin/env bash
# Device call 5 (session 17): the build to submit (main: fp8 D 256 without ping-pong on 24 / 240 registers, the ones
# tile only where used) against base (94a7dca) and mv (main with the rescale vote on a `moved` flag, which call 4 ran
# as main). (1) fp8 D 64/128/256 and bf16 D 128/256, N 8192, 16k tokens, hidden 2048, causal both, forward, three
# interleaved rounds, cuDNN once. (2) GPU tests [flash3],[fp8],[dropout] on main; verify fp8; sanitizers on fp8 D 256.
source "$(dirname "$0")/../common/device.sh"
V="base,main,mv"
P8="--tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 64,128,256 --dtype fp8 --causal both --pass fwd"
P16="--tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 128,256 --dtype bf16 --causal both --pass fwd"
timeout 60 $B run --kernel cudnn $P8 $F --out $OUT/fp8-cudnn-1 > /dev/null 2>&1
timeout 60 $B run --kernel cudnn $P16 $F --out $OUT/bf16-cudnn-1 > /dev/null 2>&1
for round in 1 2 3; do
  for v in ${V//,/ }; do
    timeout 40 $(bin_of $v) run --kernel flash3 $P8 $F --out $OUT/fp8-$v-$round > /dev/null 2>&1
    timeout 40 $(bin_of $v) run --kernel flash3 $P16 $F --out $OUT/bf16-$v-$round > /dev/null 2>&1
  done
done
python3 "$COMMON/variants.py" $OUT $V | tee -a $S
pack bench
(timeout 400 $T "[flash3],[fp8],[dropout]" > $OUT/tests.log 2>&1; echo "tests rc=$? $(grep -E 'test cases' $OUT/tests.log | tail -1)" > $OUT/rt.txt) &
(
  timeout 60 $B verify --kernel flash3 --batch 2 --heads 3 --seqlen 1,17,255,1000,4097 --seqlen-kv 255,1000 --head-dim 64,128,256 --dtype fp8 --causal both --pass fwd > $OUT/verify8.log 2>&1
  echo "verify flash3 fp8 rc=$? $(tail -1 $OUT/verify8.log)"
  timeout 150 $B verify --kernel flash3 --batch 2 --heads 3 --seqlen 1,17,255,1000,4097 --seqlen-kv 255,1000 --head-dim 64,96,128,256 --dtype fp16,bf16 --causal both --dropout 0,0.17 --pass fwd > $OUT/verify.log 2>&1
  echo "verify flash3 16-bit rc=$? $(tail -1 $OUT/verify.log)"
  for tool in memcheck racecheck synccheck; do
    timeout 60 compute-sanitizer --tool $tool --error-exitcode 9 $B verify --kernel flash3 --batch 1 --heads 2 --seqlen 300 --seqlen-kv 257 --head-dim 256 --causal both --pass fwd --dtype fp8 > $OUT/san-$tool.log 2>&1
    echo "$tool fp8 D256 rc=$? $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY' $OUT/san-$tool.log | sort | uniq -c | tr '\n' ' ')"
  done
) > $OUT/side.txt 2>&1 &
wait
cat $OUT/rt.txt $OUT/side.txt | tee -a $S
grep -h -B3 -A12 FAILED $OUT/tests.log | head -40 | tee -a $S
pack tests
