#!/usr/bin/env bash
# Device call 8 (session 17): wgmma descriptors advanced by an add (smem_desc_advance) instead of rebuilt from each
# address, and the backward's consumer warpgroup index broadcast from lane 0 (so ptxas keeps the descriptor math on
# the uniform datapath): g, against main (call 7's build). Backward main loop at D 128: 933 -> 658 instructions per
# step, D 64: 745 -> 545. (1) flash3 forward (bf16 D 64/128/256, fp8 D 128/256) and fwd+bwd (bf16 D 64/128,
# N 1024/8192), 16k tokens, hidden 2048, causal both, two interleaved rounds, cuDNN once. (2) g's GPU tests
# [flash3],[dropout],[fp8]; verify of g's backward over issue 11's lengths; racecheck and synccheck of backward points.
source "$(dirname "$0")/../common/device.sh"
(cd .carry/exp && xz -d -k -f fa_bench_gpu_tests-g.xz && chmod +x fa_bench_gpu_tests-g)
V="main,g"
FWD="--tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 64,128,256 --dtype bf16 --causal both --pass fwd"
FP8="--tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 128,256 --dtype fp8 --causal both --pass fwd"
FB="--tokens 16384 --hidden 2048 --seqlen 1024,8192 --head-dim 64,128 --dtype bf16 --causal both --pass fwdbwd"
cudnn_once fwd:60:FWD fp8:60:FP8 fb:90:FB
flash3_rounds 2 $V fwd:40:FWD fp8:40:FP8 fb:90:FB
python3 "$COMMON/variants.py" $OUT $V | tee -a $S
pack bench
G=$(bin_of g)
tests_bg 300 "[flash3],[dropout],[fp8]" .carry/exp/fa_bench_gpu_tests-g
(
  timeout 120 $G verify --kernel flash3 --batch 2 --heads 3 --seqlen 1,17,255,1000,4097 --seqlen-kv 17,1000 --head-dim 64,96,128 --dtype bf16,fp16 --causal both --dropout 0,0.17 --pass bwd > $OUT/verify-bwd.log 2>&1
  echo "verify g bwd rc=$? $(tail -1 $OUT/verify-bwd.log)"
  for tool in racecheck synccheck; do
    timeout 90 compute-sanitizer --tool $tool --error-exitcode 9 $G verify --kernel flash3 --batch 1 --heads 2 --seqlen 300 --seqlen-kv 257 --head-dim 64,128 --causal both --pass bwd --dtype bf16 > $OUT/san-$tool.log 2>&1
    echo "$tool g bwd D64/128 rc=$? $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY' $OUT/san-$tool.log | sort | uniq -c | tr '\n' ' ') $(tail -1 $OUT/san-$tool.log)"
  done
) > $OUT/side.txt 2>&1 &
checks_end
