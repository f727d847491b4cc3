#!/usr/bin/env bash
# Device call 1 (session 18): what the fp8 D 128 forward waits on. (1) Nsight Compute full sets with per-line SASS
# samples: flash3 and cuDNN, fp8 D 128 B 2 H 16 N 8192 forward, non-causal. (2) Two candidate builds against main
# (85a0286), interleaved rounds: cwb = the consumer index broadcast from lane 0 (uniform datapath, as the backward
# since 4702c2f); trs8 = fp8 D 128's row sums on the tensor core (kTensorRowSum). cuDNN once.
source "$(dirname "$0")/../common/device.sh"
prof f3fp8 flash3_fwd_kernel --kernel flash3 --pass fwd --batch 2 --heads 16 --seqlen 8192 --head-dim 128 --dtype fp8
prof cdfp8 "." --kernel cudnn --pass fwd --batch 2 --heads 16 --seqlen 8192 --head-dim 128 --dtype fp8
pack ncu
D128="--tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 128 --dtype fp8 --causal both --pass fwd"
REST="--tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 64,256 --dtype fp8 --causal both --pass fwd"
B16="--tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 64,128 --dtype bf16 --causal both --pass fwd"
cudnn_once d128:30:D128 rest:40:REST b16:40:B16
flash3_rounds 3 main,cwb,trs8 d128:20:D128
flash3_rounds 2 main,cwb rest:30:REST b16:30:B16
python3 "$COMMON/variants.py" $OUT main,cwb,trs8 d128 | tee -a $S
python3 "$COMMON/variants.py" $OUT main,cwb rest | tee -a $S
python3 "$COMMON/variants.py" $OUT main,cwb b16 | tee -a $S
pack bench
