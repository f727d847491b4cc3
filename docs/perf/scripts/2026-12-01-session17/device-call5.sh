#!/usr/bin/env bash
# Device call 5 (session 17): the build to submit (main: fp8 D 256 without ping-pong on 24 / 240 registers, the ones
# tile only where used) against base (94a7dca) and mv (main with the rescale vote on a `moved` flag, which call 4 ran
# as main). (1) fp8 D 64/128/256 and bf16 D 128/256, N 8192, 16k tokens, hidden 2048, causal both, forward, three
# interleaved rounds, cuDNN once. (2) GPU tests [flash3],[fp8],[dropout] on main; verify fp8; sanitizers on fp8 D 256.
source "$(dirname "$0")/../common/device.sh"
V="base,main,mv"
P8="--tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 64,128,256 --dtype fp8 --causal both --pass fwd"
P16="--tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 128,256 --dtype bf16 --causal both --pass fwd"
cudnn_once fp8:60:P8 bf16:60:P16
flash3_rounds 3 $V fp8:40:P8 bf16:40:P16
python3 "$COMMON/variants.py" $OUT $V | tee -a $S
pack bench
tests_bg 400 "[flash3],[fp8],[dropout]"
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
checks_end
