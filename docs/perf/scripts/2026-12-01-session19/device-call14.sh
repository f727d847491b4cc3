#!/usr/bin/env bash
# Device call 14 (session 19): spv = main (call 13, submitted) with each block's P V GEMM and the first half (128 keys)
# of the next block's S GEMM issued together, the second half once P V is done (its P registers free): the tensor
# core runs them back to back. All of the fp8 D 128 S GEMMs in halves (m64n128). GPU tests [flash3],[fp8] of spv
# beside its sanitizers (fp8 D 128) and verify; then three interleaved rounds against main, fp8 D 128 N 8192, causal
# both; cuDNN once.
source "$(dirname "$0")/../common/device.sh"
Y=$(bin_of spv)
chmod +x .carry/exp/gpu-tests-spv
tests_bg 300 "[flash3],[fp8]" .carry/exp/gpu-tests-spv
for tool in memcheck racecheck synccheck; do
  timeout 90 compute-sanitizer --tool $tool --error-exitcode 9 $Y verify --kernel flash3 --batch 1 --heads 4 \
    --kv-heads 2 --seqlen 300,700 --seqlen-kv 257,700 --head-dim 128 --causal both --pass fwd --dtype fp8 \
    > $OUT/san-$tool.log 2>&1
  echo "$tool fp8 D128 rc=$? $(grep -E 'ERROR SUMMARY' $OUT/san-$tool.log | sort | uniq -c | tr '\n' ' ') $(tail -1 $OUT/san-$tool.log)" >> $OUT/side.txt
done
timeout 60 $Y verify --kernel flash3 --batch 2 --heads 4 --kv-heads 2,4 --seqlen 1,17,255,1000,4097 --seqlen-kv 255,1000 \
  --head-dim 64,128,256 --dtype fp8 --causal both --pass fwd > $OUT/verify8.log 2>&1
echo "verify fp8 rc=$? $(tail -1 $OUT/verify8.log)" >> $OUT/side.txt
checks_end
D128="--tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 128 --dtype fp8 --causal both --pass fwd"
cudnn_once d128:30:D128
flash3_rounds 3 main,spv d128:20:D128
python3 "$COMMON/variants.py" $OUT main,spv | tee -a $S
pack bench
