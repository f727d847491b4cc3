#!/usr/bin/env bash
# Device call 10 (session 17): what call 9's GPU tests did not reach in time, as verify runs of the submitted build:
# flash3's backward with grouped K/V heads (4 -> 2 and 1) and varlen batches, block_sparse's (flash3's masked
# backward instances) on random and local patterns.
source "$(dirname "$0")/../common/device.sh"
timeout 25 $B verify --kernel flash3 --batch 2 --heads 4 --kv-heads 2,1 --seqlen 17,255,1000 --head-dim 64,128 --dtype bf16 --causal both --pass bwd > $OUT/v-gqa.log 2>&1
note "verify flash3 gqa bwd rc=$? $(tail -1 $OUT/v-gqa.log)"
timeout 25 $B verify --kernel block_sparse --batch 1 --heads 2 --seqlen 1000 --head-dim 64,128 --dtype bf16 --causal both --sparsity random,local --density 0.5 --pass bwd > $OUT/v-bs.log 2>&1
note "verify block_sparse bwd rc=$? $(tail -1 $OUT/v-bs.log)"
timeout 25 $B verify --kernel flash3 --batch 3 --heads 2 --varlen uniform:1:700 --head-dim 64,128 --dtype bf16 --causal both --pass bwd > $OUT/v-varlen.log 2>&1
note "verify flash3 varlen bwd rc=$? $(tail -1 $OUT/v-varlen.log)"
pack verify
