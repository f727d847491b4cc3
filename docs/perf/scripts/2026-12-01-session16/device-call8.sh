#!/usr/bin/env bash
# Device call 8 (session 16): fp8 D 256 with 64 keys per block (V^T in half of a 128-key region) against 128 (base,
# 5867da0, which spills 60/80 bytes and has its wgmmas serialised by ptxas). (1) fp8 D 256 (and D 64/128, which do
# not change, as a control), N 8192, 16k tokens, hidden 2048, causal both, forward, three interleaved rounds; cuDNN
# once. (2) verify fp8 at every head dim over ragged lengths; GPU tests [fp8],[flash3]; memcheck, racecheck,
# synccheck of fp8 D 256 points. The head dim that changed is the first argument (256 here; call 9 runs this
# script with 128).
source "$(dirname "$0")/../common/device.sh"
DCHANGED=${1:-256}
P="--tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 64,128,256 --dtype fp8 --causal both --pass fwd"
timeout 60 $B run --kernel cudnn $P $F --out $OUT/fp8-cudnn-1 > /dev/null 2>&1
for round in 1 2 3; do
  for v in base main; do
    Y=$(bin_of $v)
    timeout 40 $Y run --kernel flash3 $P $F --out $OUT/fp8-$v-$round > /dev/null 2>&1
  done
done
python3 "$COMMON/variants.py" $OUT base,main | tee -a $S
pack bench
(timeout 300 $T "[fp8],[flash3]" > $OUT/tests.log 2>&1; echo "tests rc=$? $(grep -E 'test cases' $OUT/tests.log | tail -1)" > $OUT/rt.txt) &
(
  timeout 120 $B verify --kernel flash3 --batch 2 --heads 3 --seqlen 1,17,255,1000,4097 --seqlen-kv 255,1000 --head-dim 64,128,256 --dtype fp8 --causal both --pass fwd > $OUT/verify.log 2>&1
  echo "verify flash3 fp8 rc=$? $(tail -1 $OUT/verify.log)"
  for tool in memcheck racecheck synccheck; do
    timeout 100 compute-sanitizer --tool $tool --error-exitcode 9 $B verify --kernel flash3 --batch 1 --heads 2 --seqlen 300 --seqlen-kv 257 --head-dim $DCHANGED --causal both --pass fwd --dtype fp8 > $OUT/san-$tool.log 2>&1
    echo "$tool fp8 D$DCHANGED rc=$? $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY' $OUT/san-$tool.log | sort | uniq -c | tr '\n' ' ') $(tail -1 $OUT/san-$tool.log)"
  done
) > $OUT/side.txt 2>&1 &
wait
cat $OUT/rt.txt $OUT/side.txt | tee -a $S
grep -h -B3 -A12 FAILED $OUT/tests.log | head -40 | tee -a $S
pack tests
