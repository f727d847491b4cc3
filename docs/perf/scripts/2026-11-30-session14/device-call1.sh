#!/usr/bin/env bash
# Device call 1 (session 14). Binaries: branch order-exp (main with the upload fix, plus the causal tile order
# in rounds, FA_FLASH3_ORDER_CHUNK; unset = the old order). (1) The pageable-copy hazard: pageable_race alone
# and beside a GPU load. (2) The causal order: flash3 fwd and fwd+bwd, causal, D 64/128, N 512/1024/8192, chunk
# 0 (old), 1 (longest first over all heads), 8, two interleaved rounds, cudnn in each. (3) Correctness: verify
# of causal flash3 with chunks 1 and 3 (ragged rounds), and [gqa] twice beside a concurrent [flash3] run.
set -uo pipefail
cd .carry && for f in *.xz; do xz -d -k -f $f; done && chmod +x fa-bench fa_bench_gpu_tests pageable_race && cd ..
B=.carry/fa-bench; T=.carry/fa_bench_gpu_tests
S=$OUT/summary.txt; : > $S
note() { echo "$*" | tee -a $S; }
pack() { (cd $OUT && tar -czf $1.tgz --exclude='*.tgz' --exclude=summary.txt $(ls | grep -v -e '\.tgz$' -e '^summary.txt$') && find . -mindepth 1 -maxdepth 1 ! -name '*.tgz' ! -name summary.txt -exec rm -rf {} +); }
nvidia-smi --query-gpu=name,uuid,clocks.sm,power.limit --format=csv,noheader | tee -a $S
note "== pageable copy, alone"
.carry/pageable_race 256 40 | tee -a $S
note "== pageable copy, beside a GPU load"
(timeout 40 $B run --kernel flash3 --tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 128 --pass fwdbwd --max-time 2 --no-counters --out $OUT/load > /dev/null 2>&1) &
sleep 4; .carry/pageable_race 256 40 | tee -a $S; wait
F="--max-time 0.15 --no-counters"
P="--tokens 16384 --hidden 2048 --seqlen 512,1024,8192 --head-dim 64,128 --dtype bf16 --causal true --pass fwd,fwdbwd"
for round in 1 2; do
  for c in 0 1 8; do FA_FLASH3_ORDER_CHUNK=$c timeout 60 $B run --kernel flash3 $P $F --out $OUT/ord-c$c-$round > /dev/null 2>&1; done
  timeout 60 $B run --kernel cudnn $P $F --out $OUT/ord-cudnn-$round > /dev/null 2>&1
done
python3 - $OUT <<'PY' | tee -a $S
import csv, sys, glob, collections, statistics
t = collections.defaultdict(list)
for f in sorted(glob.glob(sys.argv[1] + '/ord-*-*/results.csv')):
    v = f.split('/')[-2].split('-')[1]
    for r in csv.DictReader(open(f)):
        k = (r['pass'], int(r['head_dim']), int(r['seqlen_q']))
        t[(k, v)].append(float(r['median_ms']) if r['status'] == 'ok' else float('nan'))
print("causal  pass   D   N     | chunk0 ms | c1/c0 | c8/c0 | cudnn/flash3 c0 c1 c8 (median of rounds)")
for k in sorted({k for k, _ in t}):
    m = {v: statistics.median(t[(k, v)]) for v in ('c0', 'c1', 'c8', 'cudnn') if (k, v) in t}
    print("%-6s D%-3d %-5d | %.4f | %.3f | %.3f | %.3f %.3f %.3f" % (k[0], k[1], k[2], m['c0'], m['c1'] / m['c0'], m['c8'] / m['c0'],
          m['cudnn'] / m['c0'], m['cudnn'] / m['c1'], m['cudnn'] / m['c8']))
PY
pack bench
note "== correctness"
for c in 1 3; do
  FA_FLASH3_ORDER_CHUNK=$c timeout 60 $B verify --kernel flash3 --batch 3 --heads 5 --seqlen 17,255,1000,4097 --seqlen-kv 255,1000 --head-dim 64,128 --dtype bf16 --causal true --dropout 0,0.17 --pass fwd,bwd > $OUT/verify-c$c.log 2>&1
  note "verify chunk $c rc=$? $(tail -1 $OUT/verify-c$c.log)"
done
for i in 1 2; do
  (timeout 150 $T "[flash3]" > $OUT/load-flash3-$i.log 2>&1) &
  timeout 150 $T "[gqa]" > $OUT/gqa-$i.log 2>&1
  note "[gqa] beside [flash3], run $i: rc=$? $(grep -E 'test cases' $OUT/gqa-$i.log | tail -1)"
  wait
  note "   the [flash3] beside it: $(grep -E 'test cases' $OUT/load-flash3-$i.log | tail -1)"
done
grep -h -B3 -A12 FAILED $OUT/gqa-*.log | head -30 | tee -a $S
pack tests
