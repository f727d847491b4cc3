#!/usr/bin/env bash
# Device call 7 (session 17): the submitted build (call 6's main with c128's fp8 D 128 causal instance; SASS compared
# instance by instance): GPU tests [flash3],[fp8],[dropout]; verify flash3 fp8 and 16-bit over issue 11's and 12's
# lengths; memcheck, racecheck and synccheck of fp8 D 128 and 256 points, causal both.
source "$(dirname "$0")/../common/device.sh"
tests_bg 400 "[flash3],[fp8],[dropout]"
(
  timeout 60 $B verify --kernel flash3 --batch 2 --heads 3 --seqlen 1,17,255,1000,4097 --seqlen-kv 255,1000 --head-dim 64,128,256 --dtype fp8 --causal both --pass fwd > $OUT/verify8.log 2>&1
  echo "verify flash3 fp8 rc=$? $(tail -1 $OUT/verify8.log)"
  timeout 150 $B verify --kernel flash3 --batch 2 --heads 3 --seqlen 1,17,255,1000,4097 --seqlen-kv 255,1000 --head-dim 64,96,128,256 --dtype fp16,bf16 --causal both --dropout 0,0.17 --pass fwd > $OUT/verify.log 2>&1
  echo "verify flash3 16-bit rc=$? $(tail -1 $OUT/verify.log)"
  for tool in memcheck racecheck synccheck; do
    timeout 90 compute-sanitizer --tool $tool --error-exitcode 9 $B verify --kernel flash3 --batch 1 --heads 2 --seqlen 300 --seqlen-kv 257 --head-dim 128,256 --causal both --pass fwd --dtype fp8 > $OUT/san-$tool.log 2>&1
    echo "$tool fp8 D128/256 rc=$? $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY' $OUT/san-$tool.log | sort | uniq -c | tr '\n' ' ') $(tail -1 $OUT/san-$tool.log)"
  done
) > $OUT/side.txt 2>&1 &
checks_end
