#!/usr/bin/env bash
# Device call 5 (same warm machine): SASS/resource record of the flash3 kernels; D=64 with 3 consumer warpgroups.
set -uo pipefail
cd .carry && for f in fa-bench-wg3.xz; do xz -d -k -f $f; done && chmod +x fa-bench fa-bench-wg3 && cd ..
B=.carry/fa-bench
cuobjdump -res-usage $B 2>/dev/null | grep -A1 "flash3_fwd_kernel" > $OUT/res-usage.txt
echo "flash3 kernels: $(grep -c Function $OUT/res-usage.txt), with LOCAL>0: $(grep -c 'LOCAL:[1-9]' $OUT/res-usage.txt), STACK>0: $(grep -c 'STACK:[1-9]' $OUT/res-usage.txt)"
cuobjdump -sass -fun '_ZN2fa6flash317flash3_fwd_kernelINS0_13Fwd3TraitsForILi128EEE13__nv_bfloat16Lb1ELb1EEEv14CUtensorMap_stS5_S5_S5_NS0_12Flash3ParamsE' $B > $OUT/sass-d128-bf16-causal-dropout.txt 2>&1
echo "D128 bf16 causal dropout SASS: HGMMA $(grep -c HGMMA $OUT/sass-d128-bf16-causal-dropout.txt), LDL/STL $(grep -cE 'LDL|STL' $OUT/sass-d128-bf16-causal-dropout.txt), HMMA $(grep -c 'HMMA' $OUT/sass-d128-bf16-causal-dropout.txt)"
timeout 40 .carry/fa-bench-wg3 run --kernel flash3,cudnn --tokens 16384 --hidden 2048 --seqlen 512,2048,8192 --head-dim 64 --dtype bf16 --causal both --pass fwd --max-time 0.2 --no-counters --out $OUT/wg3 > /dev/null 2>&1; echo "wg3 rc=$?"
timeout 40 $B run --kernel flash3,cudnn --tokens 16384 --hidden 2048 --seqlen 512,2048,8192 --head-dim 64 --dtype bf16 --causal both --pass fwd --max-time 0.2 --no-counters --out $OUT/wg2 > /dev/null 2>&1; echo "wg2 rc=$?"
for v in wg2 wg3; do python3 -c "
import csv, collections
t = collections.defaultdict(dict)
for r in csv.DictReader(open('$OUT/$v/results.csv')): t[(r['causal'], int(r['seqlen_q']))][r['kernel']] = float(r['median_ms'])
for k in sorted(t): print('$v', k, 'flash3 %.4f ms cudnn %.4f ms ratio %.3f' % (t[k]['flash3'], t[k]['cudnn'], t[k]['cudnn']/t[k]['flash3']))
"; done
(cd $OUT && tar -czf results.tgz --exclude=results.tgz * && find . -mindepth 1 -maxdepth 1 ! -name results.tgz -exec rm -rf {} +)
