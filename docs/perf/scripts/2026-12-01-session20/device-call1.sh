#!/usr/bin/env bash
# Device call 1 (session 20): w3 = fp8 D 128 on three consumer warpgroups (192 query rows per CTA), 128 keys per block,
# the serial loop and the exponentials' turns passed round the three (each S GEMM in two m64n64 halves); main = the
# submitted kernel (two warpgroups, 256 keys). Correctness of w3 first (verify fp8, GPU tests [flash3],[fp8] beside
# the sanitizers), then three interleaved rounds, fp8 D 128 N 8192 causal both; cuDNN once.
source "$(dirname "$0")/../common/device.sh"
Y=$(bin_of w3)
chmod +x .carry/exp/gpu-tests-w3
timeout 60 $Y verify --kernel flash3 --batch 2 --heads 4 --kv-heads 2,4 --seqlen 1,17,255,1000,4097 --seqlen-kv 255,1000 \
  --head-dim 64,128,256 --dtype fp8 --causal both --pass fwd > $OUT/verify8.log 2>&1
note "verify fp8 w3 rc=$? $(tail -1 $OUT/verify8.log)"
tests_bg 300 "[flash3],[fp8]" .carry/exp/gpu-tests-w3
for tool in memcheck racecheck synccheck; do
  timeout 90 compute-sanitizer --tool $tool --error-exitcode 9 $Y verify --kernel flash3 --batch 1 --heads 4 \
    --kv-heads 2 --seqlen 300,700 --seqlen-kv 257,700 --head-dim 128 --causal both --pass fwd --dtype fp8 \
    > $OUT/san-$tool.log 2>&1
  echo "$tool fp8 D128 rc=$? $(grep -E 'ERROR SUMMARY' $OUT/san-$tool.log | sort | uniq -c | tr '\n' ' ') $(tail -1 $OUT/san-$tool.log)" >> $OUT/side.txt
done
checks_end
D128="--tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 128 --dtype fp8 --causal both --pass fwd"
cudnn_once d128:30:D128
flash3_rounds 3 main,w3 d128:20:D128
python3 "$COMMON/variants.py" $OUT main,w3 | tee -a $S
pack bench
