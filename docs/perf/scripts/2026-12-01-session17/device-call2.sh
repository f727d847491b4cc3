#!/usr/bin/env bash
# Device call 2 (session 17): (a) the forward's row sums as independent partial sums (s2: 2 per row, s4: 4; m4s4: 4
# partial maxima too) and (b) fp8 D 256 with 24 / 240 producer / consumer registers (r240: ptxas no longer
# serialises the wgmmas, and spills 140 bytes instead of 68), against base (94a7dca). Call 1's points, three
# interleaved rounds, cuDNN once; verify and sanitizers for r240 fp8 D 256, verify for s2/s4.
source "$(dirname "$0")/../common/device.sh"
SEED="--batch 32 --heads 8 --seqlen 2048 --head-dim 64 --dtype fp16 --dropout 0,0.2 --pass fwd"
BIG="--tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 64,128,256 --dtype bf16,fp8 --causal both --pass fwd"
V="base,s2,s4,m4s4,r240"
cudnn_once seed:40:SEED big:60:BIG
flash3_rounds 3 $V seed:30:SEED big:40:BIG
python3 "$COMMON/variants.py" $OUT $V | tee -a $S
pack bench
Y=$(bin_of r240)
timeout 40 $Y verify --kernel flash3 --batch 2 --heads 3 --seqlen 1,17,255,1000,4097 --seqlen-kv 255,1000 --head-dim 64,128,256 --dtype fp8 --causal both --pass fwd > $OUT/verify8-r240.log 2>&1
note "verify r240 fp8 rc=$? $(tail -1 $OUT/verify8-r240.log)"
for tool in memcheck racecheck synccheck; do
  timeout 60 compute-sanitizer --tool $tool --error-exitcode 9 $Y verify --kernel flash3 --batch 1 --heads 2 --seqlen 300 --seqlen-kv 257 --head-dim 256 --causal both --pass fwd --dtype fp8 > $OUT/san-$tool.log 2>&1
  note "$tool r240 fp8 D256 rc=$? $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY' $OUT/san-$tool.log | sort | uniq -c | tr '\n' ' ')"
done
for v in s2 s4; do
  Y=$(bin_of $v)
  timeout 60 $Y verify --kernel flash3 --batch 2 --heads 3 --seqlen 1,17,255,1000,4097 --seqlen-kv 255,1000 --head-dim 64,96,128,256 --dtype fp16,bf16,fp8 --causal both --pass fwd > $OUT/verify-$v.log 2>&1
  note "verify $v rc=$? $(tail -1 $OUT/verify-$v.log)"
done
pack verify
