#!/usr/bin/env bash
# Device call 2 (session 16): the dropout mask's counter words reordered ({row, col, h, b}) so a thread computes the
# column-independent parts of the first three Philox rounds once per tile (DropoutRow): per call 10 multiplies and
# 12 XOR steps instead of 14 and 14. Binaries: old = session 15's build; main = this one. (1) Timing, three
# interleaved rounds: the seed point (B 32 H 8 N 2048 D 64 fp16, dropout 0 and 0.2), and (two rounds) N 8192, 16k
# tokens, hidden 2048, D 64/128/256, bf16, causal both, dropout 0 and 0.2, forward; cuDNN once. (2) GPU tests of
# every family with dropout ([flash3],[dropout],[flash],[block_sparse],[standard],[fp8]); verify of flash3 with
# dropout; memcheck, racecheck, synccheck of D 64 and D 128 dropout points.
source "$(dirname "$0")/../common/device.sh"
SEED="--batch 32 --heads 8 --seqlen 2048 --head-dim 64 --dtype fp16 --dropout 0,0.2 --pass fwd"
BIG="--tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 64,128,256 --dtype bf16 --causal both --dropout 0,0.2 --pass fwd"
cudnn_once seed:60:SEED big:60:BIG
for round in 1 2 3; do
  for v in old main; do
    Y=$(bin_of $v)
    timeout 30 $Y run --kernel flash3 $SEED $F --out $OUT/seed-$v-$round > /dev/null 2>&1
    [[ $round != 3 ]] && timeout 60 $Y run --kernel flash3 $BIG $F --out $OUT/big-$v-$round > /dev/null 2>&1
  done
done
python3 "$COMMON/variants.py" $OUT old,main | tee -a $S
pack bench
tests_bg 400 "[flash3],[dropout],[flash],[block_sparse],[standard],[fp8]"
(
  V="--batch 2 --heads 3 --seqlen 1,17,255,1000,4097 --seqlen-kv 255,1000 --head-dim 64,96,128,256 --dtype fp16,bf16 --causal both --dropout 0.17 --pass fwd"
  timeout 150 $B verify --kernel flash3 $V > $OUT/verify.log 2>&1; echo "verify flash3 dropout rc=$? $(tail -1 $OUT/verify.log)"
  for tool in memcheck racecheck synccheck; do
    timeout 100 compute-sanitizer --tool $tool --error-exitcode 9 $B verify --kernel flash3 --batch 1 --heads 2 --seqlen 300 --seqlen-kv 257 --head-dim 64,128 --causal both --dropout 0.17 --pass fwd --dtype fp16 > $OUT/san-$tool.log 2>&1
    echo "$tool D64/128 dropout rc=$? $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY' $OUT/san-$tool.log | sort | uniq -c | tr '\n' ' ') $(tail -1 $OUT/san-$tool.log)"
  done
) > $OUT/side.txt 2>&1 &
checks_end
