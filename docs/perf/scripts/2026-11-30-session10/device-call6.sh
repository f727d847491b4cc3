#!/usr/bin/env bash
# Device call 6: flash3 D=64 on three consumer warpgroups (BM 192): correctness, sanitizers, speed, dropout.
set -uo pipefail
cd .carry && for f in fa-bench.xz fa_bench_gpu_tests.xz; do xz -d -k -f $f; done && chmod +x fa-bench fa_bench_gpu_tests && cd ..
B=.carry/fa-bench; T=.carry/fa_bench_gpu_tests
nvidia-smi --query-gpu=name,uuid,clocks.sm,power.limit --format=csv,noheader
timeout 15 $B verify --kernel flash3 --batch 1 --heads 2 --seqlen 256 --head-dim 64 --dtype bf16 --causal both > $OUT/v.log 2>&1; echo "smoke rc=$? $(tail -1 $OUT/v.log)"
timeout 60 $B verify --kernel flash3 --batch 1 --heads 2 --seqlen 1,17,255,1000,4097 --seqlen-kv 1,17,255,1000,4097 --head-dim 64 --dtype fp16,bf16 --causal both --dropout 0,0.17 >> $OUT/v.log 2>&1; echo "D64 grid rc=$? $(tail -1 $OUT/v.log)"
timeout 60 $T "[flash3]" > $OUT/t.log 2>&1; echo "[flash3] rc=$? $(grep 'test cases' $OUT/t.log)"
for tool in memcheck racecheck synccheck; do
  timeout 30 compute-sanitizer --tool $tool --error-exitcode 9 $T "[.flash3_fwd_sanitize]" > $OUT/san-$tool.log 2>&1
  echo "$tool rc=$? $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY|test cases' $OUT/san-$tool.log | tr '\n' ' ')"
done
timeout 60 $B run --kernel flash,flash3,cudnn --tokens 16384 --hidden 2048 --seqlen 512:16384:x2 --head-dim 64 --dtype bf16 --causal both --pass fwd --max-time 0.2 --out $OUT/speed64 > /dev/null 2>&1; echo "speed rc=$?"
timeout 30 $B run --kernel flash,flash3,cudnn --batch 32 --heads 8 --seqlen 2048 --head-dim 64 --dtype fp16 --dropout 0,0.2 --pass fwd --max-time 0.2 --out $OUT/drop > /dev/null 2>&1; echo "drop rc=$?"
for d in speed64 drop; do python3 -c "
import csv, collections
t = collections.defaultdict(dict)
for r in csv.DictReader(open('$OUT/$d/results.csv')): t[(r['causal'], int(r['seqlen_q']), r['dropout'])][r['kernel']] = (float(r['median_ms']), float(r['tflops']))
for k in sorted(t):
  f=t[k].get('flash3'); c=t[k].get('cudnn'); a=t[k].get('flash')
  print('$d', k, 'flash %.0f flash3 %.0f cudnn %.0f TFLOP/s; flash3 %.4f ms; cudnn_ms/flash3_ms %.3f' % (a[1], f[1], c[1], f[0], c[0]/f[0]))
"; done
(cd $OUT && tar -czf results.tgz --exclude=results.tgz * && find . -mindepth 1 -maxdepth 1 ! -name results.tgz -exec rm -rf {} +)
