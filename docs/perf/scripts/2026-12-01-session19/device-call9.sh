#!/usr/bin/env bash
# Device call 9 (session 19): vtg1b = call 8's vtg1 (fp8 D 128 V^T from global memory) with the transpose kernel
# rewritten (4 x 4 byte transposes in registers, coalesced 16-byte row stores). verify; the transpose kernel's
# duration (Nsight Compute); three interleaved rounds against main, fp8 D 128 N 8192, causal both; cuDNN once.
source "$(dirname "$0")/../common/device.sh"
Y=$(bin_of vtg1b)
timeout 120 $Y verify --kernel flash3 --batch 2 --heads 4 --kv-heads 2 --seqlen 1,17,255,1000,4097 \
  --seqlen-kv 255,1000 --head-dim 64,128,256 --dtype fp8 --causal both --pass fwd > $OUT/verify-vtg1b.log 2>&1
note "verify vtg1b rc=$? $(tail -1 $OUT/verify-vtg1b.log)"
timeout 120 ncu --clock-control none --profile-from-start off --metrics gpu__time_duration.sum,dram__bytes.sum \
  -k regex:vt_transpose -c 3 $Y profile --kernel flash3 --pass fwd --batch 2 --heads 16 --seqlen 8192 --head-dim 128 \
  --dtype fp8 > $OUT/ncu-vt.txt 2>&1
note "ncu vt rc=$? $(grep -E 'gpu__time_duration|dram__bytes' $OUT/ncu-vt.txt | tr -s ' ' | tr '\n' ';')"
D128="--tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 128 --dtype fp8 --causal both --pass fwd"
cudnn_once d128:30:D128
flash3_rounds 3 main,vtg1b d128:20:D128
python3 "$COMMON/variants.py" $OUT main,vtg1b | tee -a $S
pack bench
