#!/usr/bin/env bash
# Device call 10 (session 20): the build to submit. main: fp8 D 128 non-causal issues P V's first half and the next
# block's first S half in the middle of each turn (Fwd3Traits::kMidTurn; call 9's mt2, the same SASS up to register
# names); orig: session 19's last build (eafe0fb). Every other forward instance has orig's SASS. (1) GPU tests
# [flash3],[fp8] beside sanitizers of fp8 D 128 and verify runs. (2) Issue 12's table: flash3 and cuDNN, fp8 D 64/128/256
# and bf16 D 128, N 8192, 16k tokens, hidden 2048, causal both, forward; main and orig in three interleaved rounds.
source "$(dirname "$0")/../common/device.sh"
tests_bg 300 "[flash3],[fp8]"
for tool in memcheck racecheck synccheck; do
  timeout 90 compute-sanitizer --tool $tool --error-exitcode 9 $B verify --kernel flash3 --batch 1 --heads 4 \
    --kv-heads 2 --seqlen 300,700 --seqlen-kv 257,700 --head-dim 128 --causal both --pass fwd --dtype fp8 \
    > $OUT/san-$tool.log 2>&1
  echo "$tool fp8 D128 rc=$? $(grep -E 'ERROR SUMMARY' $OUT/san-$tool.log | sort | uniq -c | tr '\n' ' ') $(tail -1 $OUT/san-$tool.log)" >> $OUT/side.txt
done
timeout 60 $B verify --kernel flash3,cudnn --batch 2 --heads 4 --kv-heads 2,4 --seqlen 1,17,255,1000,4097 \
  --seqlen-kv 255,1000 --head-dim 64,128,256 --dtype fp8 --causal both --pass fwd > $OUT/verify8.log 2>&1
echo "verify fp8 rc=$? $(tail -1 $OUT/verify8.log)" >> $OUT/side.txt
timeout 60 $B verify --kernel flash3 --batch 2 --heads 3 --seqlen 1,17,1000 --seqlen-kv 255,1000 --head-dim 64,128,256 \
  --dtype bf16 --causal both --dropout 0,0.17 --pass fwd > $OUT/verify16.log 2>&1
echo "verify bf16 fwd rc=$? $(tail -1 $OUT/verify16.log)" >> $OUT/side.txt
checks_end
P8="--tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 64,128,256 --dtype fp8 --causal both --pass fwd"
P16="--tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 128 --dtype bf16 --causal both --pass fwd"
cudnn_once f8:60:P8 b16:30:P16
flash3_rounds 3 main,orig f8:40:P8 b16:20:P16
python3 "$COMMON/variants.py" $OUT main,orig | tee -a $S
pack bench
