#!/usr/bin/env bash
# Device call 9 (session 20): P V's first half inside the turn (fp8 D 128, experiment FA_EXP_MIDTURN). mt1: once the
# first half of P (keys 0..127) is packed, the first half of the P V GEMM is issued in the middle of the turn and runs
# under the second half's exponentials; after the turn P V's second half and the next block's S (two halves). mt2:
# the next block's first S half also issued in the middle of the turn (240 consumer registers). Verify of each, three
# interleaved rounds against main, fp8 D 128 N 8192 causal both; cuDNN once; then mt1's GPU tests and sanitizers.
source "$(dirname "$0")/../common/device.sh"
for v in mt1 mt2; do
  timeout 60 $(bin_of $v) verify --kernel flash3 --batch 2 --heads 4 --kv-heads 2,4 --seqlen 1,17,255,1000,4097 \
    --seqlen-kv 255,1000 --head-dim 64,128,256 --dtype fp8 --causal both --pass fwd > $OUT/verify-$v.log 2>&1
  note "verify fp8 $v rc=$? $(tail -1 $OUT/verify-$v.log)"
done
D128="--tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 128 --dtype fp8 --causal both --pass fwd"
cudnn_once d128:30:D128
flash3_rounds 3 main,mt1,mt2 d128:20:D128
python3 "$COMMON/variants.py" $OUT main,mt1,mt2 | tee -a $S
pack bench
Y=$(bin_of mt1)
chmod +x .carry/exp/gpu-tests-mt1
tests_bg 200 "[flash3],[fp8]" .carry/exp/gpu-tests-mt1
for tool in memcheck racecheck synccheck; do
  timeout 60 compute-sanitizer --tool $tool --error-exitcode 9 $Y verify --kernel flash3 --batch 1 --heads 4 \
    --kv-heads 2 --seqlen 300,700 --seqlen-kv 257,700 --head-dim 128 --causal both --pass fwd --dtype fp8 \
    > $OUT/san-$tool.log 2>&1
  echo "$tool fp8 D128 rc=$? $(grep -E 'ERROR SUMMARY' $OUT/san-$tool.log | sort | uniq -c | tr '\n' ' ') $(tail -1 $OUT/san-$tool.log)" >> $OUT/side.txt
done
checks_end
