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
cudnn_once fp8:60:P8 bf16:60:P16
flash3_rounds 3 $V fp8:40:P8 bf16:40:P16
python3 "$COMMON/variants.py" $OUT $V | tee -a $S
pack bench
prof bwd128 flash3_bwd_kernel --kernel flash3 --pass bwd --batch 2 --heads 16 --seqlen 8192 --head-dim 128 --dtype bf16
prof bwd64 flash3_bwd_kernel --kernel flash3 --pass bwd --batch 16 --heads 32 --seqlen 1024 --head-dim 64 --dtype bf16
pack ncu
tests_bg 400 "[flash3],[fp8],[dropout]"
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
checks_end
