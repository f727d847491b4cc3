#!/usr/bin/env bash
# Device call 8 (session 18): call 6's profile of s256x shows ptxas moved the turn's barrier sync up to before the
# row maxima, so the turn covers the maxima too. mo = main (call 7) with the sync's barrier id made to depend on the
# maxima through a 0 loaded from shared memory (own + (zero & bits(max))): the SASS then has the sync after the
# maxima and their shuffles. fp8 D 128 N 8192, causal both (causal has no turns: the same code), three interleaved
# rounds against main; cuDNN once; verify fp8 of mo; memcheck / synccheck of mo at fp8 D 128.
source "$(dirname "$0")/../common/device.sh"
D128="--tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 128 --dtype fp8 --causal both --pass fwd"
cudnn_once d128:30:D128
flash3_rounds 3 main,mo d128:20:D128
python3 "$COMMON/variants.py" $OUT main,mo d128 | tee -a $S
pack bench
Y=$(bin_of mo)
timeout 40 $Y verify --kernel flash3 --batch 2 --heads 3 --seqlen 1,17,255,1000,4097 --seqlen-kv 255,1000 --head-dim 128 --dtype fp8 --causal both --pass fwd > $OUT/verify-mo.log 2>&1
note "verify mo fp8 D128 rc=$? $(tail -1 $OUT/verify-mo.log)"
for tool in memcheck synccheck; do
  timeout 60 compute-sanitizer --tool $tool --error-exitcode 9 $Y verify --kernel flash3 --batch 1 --heads 2 --seqlen 300,700 --seqlen-kv 257,700 --head-dim 128 --causal both --pass fwd --dtype fp8 > $OUT/san-$tool.log 2>&1
  note "$tool mo rc=$? $(grep -E 'ERROR SUMMARY' $OUT/san-$tool.log | sort | uniq -c | tr '\n' ' ')"
done
pack checks
