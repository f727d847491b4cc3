#!/usr/bin/env bash
# Device call 12 (session 18): the submitted build with the index broadcast off at 16-bit D 256 (kUniformIndex; its
# 16-bit D 256 SASS now has 85a0286's opcode sequence). main against orig (85a0286): bf16 and fp8 D 256, N 8192,
# causal both, three interleaved rounds, cuDNN once; GPU tests [flash3],[fp8] of main.
source "$(dirname "$0")/../common/device.sh"
P="--tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 256 --dtype bf16,fp8 --causal both --pass fwd"
cudnn_once d256:30:P
flash3_rounds 3 main,orig d256:30:P
python3 "$COMMON/variants.py" $OUT main,orig | tee -a $S
pack bench
timeout 150 $T "[flash3],[fp8]" > $OUT/tests.log 2>&1; note "tests [flash3],[fp8] rc=$? $(grep -E 'test cases' $OUT/tests.log | tail -1)"
grep -h -B3 -A12 FAILED $OUT/tests.log | head -30 | tee -a $S
pack tests
