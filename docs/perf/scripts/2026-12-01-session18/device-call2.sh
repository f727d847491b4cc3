#!/usr/bin/env bash
# Device call 2 (session 18): call 1's profile said the fp8 D 128 forward's producer thread spins on its mbarrier
# waits (17.7 M TRYWAIT/BRA/YIELD rounds, 8 % of the instructions, all on sub-partition 0) and the V transposers
# spend ~20 integer operations per 16-byte unit on addresses. Builds, each on main (85a0286):
#   hint = mbarrier waits with a suspend-time hint (the thread sleeps until the phase completes);
#   tx   = the transposers walk pieces of one key group with a base address per piece (one LOP3 per unit);
#   htx  = hint + tx; htxc = htx + fp8 D 128 non-causal softmax chains (4 per row); all = htxc + cwb (call 1).
# (1) Interleaved rounds: fp8 D 128 (all builds), fp8 D 64/256 and bf16 D 64/128 (main, hint, htx, all), bf16
# D 128 fwd+bwd (main, hint: the backward waits on mbarriers too). cuDNN once. (2) `all`: verify fp8 and 16-bit
# flash3 forward, GPU tests [fp8],[flash3].
source "$(dirname "$0")/../common/device.sh"
D128="--tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 128 --dtype fp8 --causal both --pass fwd"
REST="--tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 64,256 --dtype fp8 --causal both --pass fwd"
B16="--tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 64,128 --dtype bf16 --causal both --pass fwd"
FB="--tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 128 --dtype bf16 --causal both --pass fwdbwd"
cudnn_once d128:30:D128 rest:40:REST b16:40:B16 fb:40:FB
flash3_rounds 3 main,hint,tx,htx,htxc,all d128:20:D128
flash3_rounds 2 main,hint,htx,all rest:30:REST b16:30:B16
flash3_rounds 2 main,hint fb:40:FB
python3 "$COMMON/variants.py" $OUT main,hint,tx,htx,htxc,all d128 | tee -a $S
python3 "$COMMON/variants.py" $OUT main,hint,htx,all rest | tee -a $S
python3 "$COMMON/variants.py" $OUT main,hint,htx,all b16 | tee -a $S
python3 "$COMMON/variants.py" $OUT main,hint fb | tee -a $S
pack bench
Y=$(bin_of all)
timeout 60 $Y verify --kernel flash3 --batch 2 --heads 3 --seqlen 1,17,255,1000,4097 --seqlen-kv 255,1000 --head-dim 64,128,256 --dtype fp8 --causal both --pass fwd > $OUT/verify8.log 2>&1
note "verify all fp8 rc=$? $(tail -1 $OUT/verify8.log)"
timeout 60 $Y verify --kernel flash3 --batch 2 --heads 3 --seqlen 1,17,1000 --seqlen-kv 255,1000 --head-dim 64,96,128,256 --dtype bf16 --causal both --dropout 0,0.17 --pass fwd,bwd > $OUT/verify16.log 2>&1
note "verify all bf16 rc=$? $(tail -1 $OUT/verify16.log)"
chmod +x .carry/exp/gt-all
timeout 150 .carry/exp/gt-all "[fp8],[flash3]" > $OUT/tests.log 2>&1; note "tests all [fp8],[flash3] rc=$? $(grep -E 'test cases' $OUT/tests.log | tail -1)"
grep -B3 -A12 FAILED $OUT/tests.log | head -30 | tee -a $S
pack checks
