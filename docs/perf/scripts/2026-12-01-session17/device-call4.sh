#!/usr/bin/env bash
# Device call 4 (session 17): the build to submit (main: fp8 D 256 without ping-pong on 24 / 240 registers, the
# rescale vote on a `moved` flag, the ones tile only where used) against base (94a7dca). (1) fp8 D 64/128/256 and
# bf16 D 256 (the vote's instances), N 8192, 16k tokens, hidden 2048, causal both, forward, three interleaved
# rounds, cuDNN once. (2) Nsight Compute of the flash3 backward, bf16 D 128 N 8192 B2 H16 and D 64 N 1024 B16 H32,
# non-causal, keeping the per-line SASS samples. (3) GPU tests [flash3],[fp8],[dropout]; verify flash3 over issue 11's
# and 12's lengths; memcheck, racecheck, synccheck of fp8 and bf16 D 256 points.
source "$(dirname "$0")/../common/device.sh"
V="base,main"
P8="--tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 64,128,256 --dtype fp8 --causal both --pass fwd"
P16="--tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 256 --dtype bf16 --causal both --pass fwd"
timeout 60 $B run --kernel cudnn $P8 $F --out $OUT/fp8-cudnn-1 > /dev/null 2>&1
timeout 60 $B run --kernel cudnn $P16 $F --out $OUT/bf16-cudnn-1 > /dev/null 2>&1
for round in 1 2 3; do
  for v in ${V//,/ }; do
    timeout 40 $(bin_of $v) run --kernel flash3 $P8 $F --out $OUT/fp8-$v-$round > /dev/null 2>&1
    timeout 40 $(bin_of $v) run --kernel flash3 $P16 $F --out $OUT/bf16-$v-$round > /dev/null 2>&1
  done
done
python3 "$COMMON/variants.py" $OUT $V | tee -a $S
pack bench
prof() {  # name, fa-bench profile args
  local n=$1; shift
  timeout 150 ncu --clock-control none --profile-from-start off --set full --import-source yes -k "regex:flash3_bwd_kernel" -c 1 -o $OUT/$n $B profile "$@" > $OUT/$n.log 2>&1
  note "ncu $n rc=$?"
  ncu -i $OUT/$n.ncu-rep --page details > $OUT/$n-details.txt 2>&1
  ncu -i $OUT/$n.ncu-rep --page source --print-source sass --csv > $OUT/$n-sass.csv 2>&1
  rm -f $OUT/$n.ncu-rep
  grep -E "Duration|Issue Slots Busy|Executed Instructions  |highest-utilized" $OUT/$n-details.txt | head -6 | tee -a $S
  xz -6 $OUT/$n-sass.csv $OUT/$n-details.txt
}
prof bwd128 --kernel flash3 --pass bwd --batch 2 --heads 16 --seqlen 8192 --head-dim 128 --dtype bf16
prof bwd64 --kernel flash3 --pass bwd --batch 16 --heads 32 --seqlen 1024 --head-dim 64 --dtype bf16
pack ncu
(timeout 400 $T "[flash3],[fp8],[dropout]" > $OUT/tests.log 2>&1; echo "tests rc=$? $(grep -E 'test cases' $OUT/tests.log | tail -1)" > $OUT/rt.txt) &
(
  timeout 150 $B verify --kernel flash3 --batch 2 --heads 3 --seqlen 1,17,255,1000,4097 --seqlen-kv 255,1000 --head-dim 64,96,128,256 --dtype fp16,bf16 --causal both --dropout 0,0.17 --pass fwd > $OUT/verify.log 2>&1
  echo "verify flash3 16-bit rc=$? $(tail -1 $OUT/verify.log)"
  timeout 60 $B verify --kernel flash3 --batch 2 --heads 3 --seqlen 1,17,255,1000,4097 --seqlen-kv 255,1000 --head-dim 64,128,256 --dtype fp8 --causal both --pass fwd > $OUT/verify8.log 2>&1
  echo "verify flash3 fp8 rc=$? $(tail -1 $OUT/verify8.log)"
  for tool in memcheck racecheck synccheck; do
    for dt in fp8 bf16; do
      timeout 60 compute-sanitizer --tool $tool --error-exitcode 9 $B verify --kernel flash3 --batch 1 --heads 2 --seqlen 300 --seqlen-kv 257 --head-dim 256 --causal both --pass fwd --dtype $dt > $OUT/san-$tool-$dt.log 2>&1
      echo "$tool $dt D256 rc=$? $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY' $OUT/san-$tool-$dt.log | sort | uniq -c | tr '\n' ' ') $(tail -1 $OUT/san-$tool-$dt.log)"
    done
  done
) > $OUT/side.txt 2>&1 &
wait
cat $OUT/rt.txt $OUT/side.txt | tee -a $S
grep -h -B3 -A12 FAILED $OUT/tests.log | head -40 | tee -a $S
pack tests
