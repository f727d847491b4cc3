#!/usr/bin/env bash
# Device call 4 (session 16): where DropoutRow pays. Binaries: old = session 15's build; hoistall = DropoutRow at every
# head dim (c199095); main = DropoutRow with three consumer warpgroups only (16-bit D 64), plain calls (in the new
# counter order) elsewhere; alt = main plus D 256. (1) N 8192, 16k tokens, hidden 2048, D 128/256, bf16, causal
# both, dropout 0.2, forward: four variants, three interleaved rounds. (2) The seed point, dropout 0 and 0.2: old and
# main, three rounds. (3) GPU tests [flash3],[dropout] and racecheck / synccheck of a D 64 / D 128 dropout point (main).
source "$(dirname "$0")/../common/device.sh"
BIG="--tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 128,256 --dtype bf16 --causal both --dropout 0.2 --pass fwd"
SEED="--batch 32 --heads 8 --seqlen 2048 --head-dim 64 --dtype fp16 --dropout 0,0.2 --pass fwd"
for round in 1 2 3; do
  for v in old hoistall main alt; do
    Y=$(bin_of $v)
    timeout 40 $Y run --kernel flash3 $BIG $F --out $OUT/big-$v-$round > /dev/null 2>&1
    [[ $v == old || $v == main ]] && timeout 30 $Y run --kernel flash3 $SEED $F --out $OUT/seed-$v-$round > /dev/null 2>&1
  done
done
python3 "$COMMON/variants.py" $OUT old,hoistall,main,alt | tee -a $S
pack bench
timeout 300 $T "[flash3],[dropout]" > $OUT/tests.log 2>&1; note "tests rc=$? $(grep -E 'test cases' $OUT/tests.log | tail -1)"
grep -h -B3 -A12 FAILED $OUT/tests.log | head -40 | tee -a $S
for tool in racecheck synccheck; do
  timeout 100 compute-sanitizer --tool $tool --error-exitcode 9 $B verify --kernel flash3 --batch 1 --heads 2 --seqlen 300 --seqlen-kv 257 --head-dim 64,128 --causal both --dropout 0.17 --pass fwd --dtype bf16 > $OUT/san-$tool.log 2>&1
  note "$tool D64/128 dropout rc=$? $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY' $OUT/san-$tool.log | sort | uniq -c | tr '\n' ' ') $(tail -1 $OUT/san-$tool.log)"
done
pack tests
