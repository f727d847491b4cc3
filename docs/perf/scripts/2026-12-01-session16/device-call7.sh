#!/usr/bin/env bash
# Device call 7 (session 16): the submitted build (5867da0). (1) block_sparse with an all-kept mask against flash3,
# bf16 N 8192, 16k tokens, hidden 2048, D 64/128, causal both, forward, three rounds (issue 11: within 5 %).
# (2) The GPU tests not run on this build yet: [gqa],[varlen],[decode],[block_sparse],[standard],[cudnn],[measure].
source "$(dirname "$0")/../common/device.sh"
BS="--sparsity random --density 1 --tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 64,128 --dtype bf16 --causal both --pass fwd $F"
for round in 1 2 3; do timeout 40 $B run --kernel flash3,block_sparse $BS --out $OUT/bs-$round > /dev/null 2>&1; done
python3 "$COMMON/block_sparse_table.py" $OUT | tee -a $S
pack bench
timeout 420 $T "[gqa],[varlen],[decode],[block_sparse],[standard],[cudnn],[measure]" > $OUT/tests.log 2>&1; note "tests rc=$? $(grep -E 'test cases' $OUT/tests.log | tail -1)"
grep -h -B3 -A12 FAILED $OUT/tests.log | head -40 | tee -a $S
pack tests
