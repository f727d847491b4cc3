#!/usr/bin/env bash
# Device call 2 (session 14): main at 273b033 (causal rounds of 8, the upload fix). (1) Issue 11's bar table, two
# rounds of flash3 + cudnn (flash in round 1). (2) The round size: the experiment binary (FA_FLASH3_ORDER_CHUNK) at
# 4, 8, 16 on causal fwd / fwd+bwd, N 8192 and 16384. (3) block_sparse's dense-mask bar, causal too; the seed
# point with dropout; flash3 GQA 32/8 against MHA.
set -uo pipefail
cd .carry && for f in *.xz exp/*.xz; do xz -d -k -f $f; done && chmod +x fa-bench fa_bench_gpu_tests pageable_race exp/* && cd ..
B=.carry/fa-bench; E=.carry/exp/fa-bench-ord
S=$OUT/summary.txt; : > $S
note() { echo "$*" | tee -a $S; }
pack() { (cd $OUT && tar -czf $1.tgz --exclude='*.tgz' --exclude=summary.txt $(ls | grep -v -e '\.tgz$' -e '^summary.txt$') && find . -mindepth 1 -maxdepth 1 ! -name '*.tgz' ! -name summary.txt -exec rm -rf {} +); }
nvidia-smi --query-gpu=name,uuid,clocks.sm,power.limit --format=csv,noheader | tee -a $S
F="--max-time 0.15 --no-counters"
P="--tokens 16384 --hidden 2048 --seqlen 512,1024,8192 --head-dim 64,128 --dtype bf16 --causal both --pass fwd,fwdbwd"
timeout 120 $B run --kernel flash,flash3,cudnn $P $F --out $OUT/bars-1 > /dev/null 2>&1
timeout 90 $B run --kernel flash3,cudnn $P $F --out $OUT/bars-2 > /dev/null 2>&1
python3 - $OUT <<'PY' | tee -a $S
import csv, sys, glob, collections
t = collections.defaultdict(list)
for f in sorted(glob.glob(sys.argv[1] + '/bars-*/results.csv')):
    for r in csv.DictReader(open(f)):
        k = (r['pass'], int(r['head_dim']), r['causal'][0], int(r['seqlen_q']))
        t[(k, r['kernel'])].append((float(r['median_ms']), float(r['tflops'] or 'nan')) if r['status'] == 'ok' else (float('nan'),) * 2)
print("pass   D   c N     | flash3 ms (TFLOP/s) per round | cudnn/flash3 per round | cudnn/flash | TFLOP/s flash flash3 cudnn (round 1)")
for k in sorted({k for k, _ in t}):
    n, c, a = t[(k, 'flash3')], t[(k, 'cudnn')], t[(k, 'flash')]
    print("%-6s D%-3d %s %-5d | %s | %s | %s | %.0f %.0f %.0f" % (k[0], k[1], k[2], k[3], ' '.join('%.3f (%.0f)' % x for x in n),
          ' '.join('%.3f' % (x[0] / y[0]) for x, y in zip(c, n)), ' '.join('%.3f' % (x[0] / y[0]) for x, y in zip(c, a)),
          a[0][1] if a else float('nan'), n[0][1], c[0][1]))
PY
EP="--tokens 16384 --hidden 2048 --seqlen 8192,16384 --head-dim 64,128 --dtype bf16 --causal true --pass fwd,fwdbwd"
for c in 8 4 16; do FA_FLASH3_ORDER_CHUNK=$c timeout 60 $E run --kernel flash3 $EP $F --out $OUT/ord-c$c > /dev/null 2>&1; done
python3 - $OUT <<'PY' | tee -a $S
import csv, sys, glob, collections
t = {}
for f in sorted(glob.glob(sys.argv[1] + '/ord-*/results.csv')):
    v = f.split('/')[-2].split('-')[1]
    for r in csv.DictReader(open(f)):
        t[((r['pass'], int(r['head_dim']), int(r['seqlen_q'])), v)] = float(r['median_ms']) if r['status'] == 'ok' else float('nan')
print("causal round size: pass D N | c8 ms | c4/c8 | c16/c8")
for k in sorted({k for k, _ in t}):
    print("%-6s D%-3d %-5d | %.4f | %.3f | %.3f" % (k[0], k[1], k[2], t[(k, 'c8')], t[(k, 'c4')] / t[(k, 'c8')], t[(k, 'c16')] / t[(k, 'c8')]))
PY
timeout 60 $B run --kernel flash3,block_sparse --sparsity random --density 1,0.25 --tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 64,128 --dtype bf16 --causal both --pass fwd,fwdbwd $F --out $OUT/bs-bar > $OUT/bs-bar.log 2>&1
grep -E '^\[' $OUT/bs-bar.log | tee -a $S
timeout 30 $B run --kernel flash,flash3,cudnn --batch 32 --heads 8 --seqlen 2048 --head-dim 64 --dtype fp16 --dropout 0,0.2 --pass fwd $F --out $OUT/seed > $OUT/seed.log 2>&1
grep -E '^\[' $OUT/seed.log | tee -a $S
timeout 45 $B run --kernel flash3,cudnn --batch 2 --heads 32 --kv-heads 32,8 --seqlen 8192 --head-dim 128 --dtype bf16 --pass fwdbwd --causal both $F --out $OUT/gqa > $OUT/gqa.log 2>&1
grep -E '^\[' $OUT/gqa.log | tee -a $S
pack bench
