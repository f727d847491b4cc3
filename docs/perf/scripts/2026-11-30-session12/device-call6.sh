#!/usr/bin/env bash
# Device call 6 (session 12, warm after call 5, same binaries): the decode points of issue 14 verified on
# standard and the rest of cudnn (call 5's verify of both timed out after cudnn's first 18 points), five
# processes in parallel (the float64 reference is single-threaded).
cd .carry && xz -d -k -f fa-bench.xz && chmod +x fa-bench && cd ..
V=".carry/fa-bench verify --seqlen 1,4,16 --seqlen-kv 17,4097,65536 --heads 32 --kv-heads 8,1 --head-dim 64"
(timeout 110 $V --kernel standard --dtype bf16 --causal 0 > $OUT/std-b0.log 2>&1; echo "std bf16 c0 rc=$? $(tail -1 $OUT/std-b0.log)") &
(timeout 110 $V --kernel standard --dtype bf16 --causal 1 > $OUT/std-b1.log 2>&1; echo "std bf16 c1 rc=$? $(tail -1 $OUT/std-b1.log)") &
(timeout 110 $V --kernel standard --dtype fp16 --causal both > $OUT/std-f.log 2>&1; echo "std fp16 rc=$? $(tail -1 $OUT/std-f.log)") &
(timeout 110 $V --kernel cudnn --dtype bf16 --causal 1 > $OUT/cudnn-b1.log 2>&1; echo "cudnn bf16 c1 rc=$? $(tail -1 $OUT/cudnn-b1.log)") &
(timeout 110 $V --kernel cudnn --dtype fp16 --causal both > $OUT/cudnn-f.log 2>&1; echo "cudnn fp16 rc=$? $(tail -1 $OUT/cudnn-f.log)") &
wait
grep -h FAIL $OUT/*.log | head
