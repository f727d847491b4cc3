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
cudnn_once fp8:60:P
flash3_rounds 3 base,main fp8:40:P
python3 "$COMMON/variants.py" $OUT base,main | tee -a $S
pack bench
tests_bg 300 "[fp8],[flash3]"
(
  timeout 120 $B verify --kernel flash3 --batch 2 --heads 3 --seqlen 1,17,255,1000,4097 --seqlen-kv 255,1000 --head-dim 64,128,256 --dtype fp8 --causal both --pass fwd > $OUT/verify.log 2>&1
  echo "verify flash3 fp8 rc=$? $(tail -1 $OUT/verify.log)"
  for tool in memcheck racecheck synccheck; do
    timeout 100 compute-sanitizer --tool $tool --error-exitcode 9 $B verify --kernel flash3 --batch 1 --heads 2 --seqlen 300 --seqlen-kv 257 --head-dim $DCHANGED --causal both --pass fwd --dtype fp8 > $OUT/san-$tool.log 2>&1
    echo "$tool fp8 D$DCHANGED rc=$? $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY' $OUT/san-$tool.log | sort | uniq -c | tr '\n' ' ') $(tail -1 $OUT/san-$tool.log)"
  done
) > $OUT/side.txt 2>&1 &
checks_end
