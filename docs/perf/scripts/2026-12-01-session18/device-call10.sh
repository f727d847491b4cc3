#!/usr/bin/env bash
# Device call 10 (session 18): the submitted build after the s_alone refactor (forward SASS = call 7's main up to
# register names). (1) fp8 and bf16 D 128/256 forward, N 8192, causal both: main against c7 (call 7's build), two
# interleaved rounds, cuDNN once. (2) GPU tests [flash3],[fp8],[dropout] beside verify runs of fp8 and 16-bit.
source "$(dirname "$0")/../common/device.sh"
P="--tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 128,256 --dtype fp8,bf16 --causal both --pass fwd"
cudnn_once big:40:P
flash3_rounds 2 main,c7 big:40:P
python3 "$COMMON/variants.py" $OUT main,c7 | tee -a $S
pack bench
tests_bg 300 "[flash3],[fp8],[dropout]"
timeout 60 $B verify --kernel flash3 --batch 2 --heads 3 --seqlen 1,17,255,1000,4097 --seqlen-kv 255,1000 --head-dim 64,128,256 --dtype fp8 --causal both --pass fwd > $OUT/verify8.log 2>&1
echo "verify fp8 rc=$? $(tail -1 $OUT/verify8.log)" >> $OUT/side.txt
timeout 60 $B verify --kernel flash3 --batch 2 --heads 3 --seqlen 1,17,1000 --seqlen-kv 255,1000 --head-dim 64,96,128,256 --dtype fp16,bf16 --causal both --dropout 0,0.17 --pass fwd > $OUT/verify16.log 2>&1
echo "verify 16-bit fwd rc=$? $(tail -1 $OUT/verify16.log)" >> $OUT/side.txt
checks_end
