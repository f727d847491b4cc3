#!/usr/bin/env bash
# Device call 9 (session 17): the submitted build (forward SASS = call 7's, backward SASS = call 8's g, compared
# instance by instance). (1) Issue 11's bar table (flash, flash3, cudnn, bf16, 16k tokens, hidden 2048, N 512/1024/8192,
# D 64/128, causal both, fwd and fwd+bwd; N 8192 twice). (2) memcheck of backward points. (3) GPU tests [gqa],
# [block_sparse],[varlen] (the families and shapes that run flash3's backward).
source "$(dirname "$0")/../common/device.sh"
BARS="--tokens 16384 --hidden 2048 --head-dim 64,128 --dtype bf16 --causal both --pass fwd,fwdbwd"
timeout 120 $B run --kernel flash,flash3,cudnn $BARS --seqlen 512,1024,8192 $F --out $OUT/bars-1 > /dev/null 2>&1
timeout 50 $B run --kernel flash3,cudnn $BARS --seqlen 8192 $F --out $OUT/bars-2 > /dev/null 2>&1
python3 "$COMMON/bar_table.py" $OUT | tee -a $S
pack bench
timeout 60 compute-sanitizer --tool memcheck --error-exitcode 9 $B verify --kernel flash3 --batch 1 --heads 2 --seqlen 300 --seqlen-kv 257 --head-dim 64,96,128 --causal both --dropout 0,0.17 --pass bwd --dtype bf16 > $OUT/san-memcheck.log 2>&1
note "memcheck bwd D64/96/128 rc=$? $(grep -E 'ERROR SUMMARY' $OUT/san-memcheck.log | sort | uniq -c | tr '\n' ' ') $(tail -1 $OUT/san-memcheck.log)"
timeout 90 $T "[gqa],[block_sparse],[varlen]" > $OUT/tests.log 2>&1; note "tests rc=$? $(grep -E 'test cases' $OUT/tests.log | tail -1)"
grep -h -B3 -A12 FAILED $OUT/tests.log | head -30 | tee -a $S
pack tests
