#!/usr/bin/env bash
# Device call 12 (session 19): vt2 = main (call 11) with the V^T kernel moving 16 head-dim bytes per item (16-byte
# loads, four 4 x 4 byte transposes, a warp's 32 quads into one shared row). Its GPU test and verify; the transpose
# kernel's duration (Nsight Compute); three interleaved rounds against main, fp8 D 128 N 8192, causal both; cuDNN once.
source "$(dirname "$0")/../common/device.sh"
Y=$(bin_of vt2)
xz -d -k -f .carry/exp/gpu-tests-vt2.xz && chmod +x .carry/exp/gpu-tests-vt2
timeout 120 .carry/exp/gpu-tests-vt2 "flash3 fp8 V^T kernel on the GPU*" > $OUT/tests-vt2.log 2>&1
note "tests vt2 rc=$? $(grep -E 'test cases' $OUT/tests-vt2.log | tail -1)"
timeout 120 $Y verify --kernel flash3 --batch 2 --heads 4 --kv-heads 2,4 --seqlen 1,17,255,1000,4097 \
  --seqlen-kv 255,1000 --head-dim 128 --dtype fp8 --causal both --pass fwd > $OUT/verify-vt2.log 2>&1
note "verify vt2 rc=$? $(tail -1 $OUT/verify-vt2.log)"
timeout 120 ncu --clock-control none --profile-from-start off --metrics gpu__time_duration.sum,dram__bytes.sum \
  -k regex:vt_transpose -c 3 $Y profile --kernel flash3 --pass fwd --batch 2 --heads 16 --seqlen 8192 --head-dim 128 \
  --dtype fp8 > $OUT/ncu-vt.txt 2>&1
note "ncu vt rc=$? $(grep -E 'gpu__time_duration|dram__bytes' $OUT/ncu-vt.txt | tr -s ' ' | tr '\n' ';')"
D128="--tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 128 --dtype fp8 --causal both --pass fwd"
cudnn_once d128:30:D128
flash3_rounds 3 main,vt2 d128:20:D128
python3 "$COMMON/variants.py" $OUT main,vt2 | tee -a $S
pack bench
