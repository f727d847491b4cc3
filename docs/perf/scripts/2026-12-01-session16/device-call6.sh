#!/usr/bin/env bash
# Device call 6 (session 16): the submitted build (5867da0) against session 15's (old). (1) Dropout 0 and 0.2 at the
# seed point (B 32 H 8 N 2048 D 64 fp16) and at N 8192, 16k tokens, hidden 2048, D 64/128/256, bf16, causal both,
# forward, three interleaved rounds; cuDNN once. (2) GPU tests [flash3],[dropout],[fp8]; verify of flash3 with
# dropout over the lengths of issue 11; memcheck, racecheck and synccheck of dropout points at D 64/128/256.
source "$(dirname "$0")/../common/device.sh"
SEED="--batch 32 --heads 8 --seqlen 2048 --head-dim 64 --dtype fp16 --dropout 0,0.2 --pass fwd"
BIG="--tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 64,128,256 --dtype bf16 --causal both --dropout 0,0.2 --pass fwd"
cudnn_once seed:60:SEED big:60:BIG
flash3_rounds 3 old,main seed:30:SEED big:60:BIG
python3 "$COMMON/variants.py" $OUT old,main | tee -a $S
pack bench
tests_bg 420 "[flash3],[dropout],[fp8]"
(
  V="--batch 2 --heads 3 --seqlen 1,17,255,1000,4097 --seqlen-kv 255,1000 --head-dim 64,96,128,256 --dtype fp16,bf16 --causal both --dropout 0.17 --pass fwd"
  timeout 150 $B verify --kernel flash3 $V > $OUT/verify.log 2>&1; echo "verify flash3 dropout rc=$? $(tail -1 $OUT/verify.log)"
  for tool in memcheck racecheck synccheck; do
    timeout 100 compute-sanitizer --tool $tool --error-exitcode 9 $B verify --kernel flash3 --batch 1 --heads 2 --seqlen 300 --seqlen-kv 257 --head-dim 64,128,256 --causal both --dropout 0.17 --pass fwd --dtype bf16 > $OUT/san-$tool.log 2>&1
    echo "$tool D64/128/256 dropout rc=$? $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY' $OUT/san-$tool.log | sort | uniq -c | tr '\n' ' ') $(tail -1 $OUT/san-$tool.log)"
  done
) > $OUT/side.txt 2>&1 &
checks_end
