#!/usr/bin/env bash
# Device call 4 (session 14): main built at be4fac0 (later commits: comments and docs only; the submitted kernels
# but for dropout). (1) Issue 11's table, two
# rounds (flash in round 1). (2) Issue 14's bars: decode against the copy ceiling, a varlen batch against the
# fixed-length point of its tokens, GQA 32/8 against MHA. (3) Experiment exp-bsmask: the flash3 forward's block-mask
# instances load the list entry before the wait for S; block_sparse (density 1) against flash3, main and exp
# interleaved, two rounds; verify of the experiment's block_sparse.
set -uo pipefail
cd .carry && for f in *.xz exp/*.xz; do xz -d -k -f $f; done && chmod +x fa-bench fa_bench_gpu_tests exp/* && cd ..
B=.carry/fa-bench; X=.carry/exp/fa-bench-bs
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
        ok = r['status'] == 'ok'
        t[(k, r['kernel'])].append((float(r['median_ms']) if ok else float('nan'), float(r['tflops']) if ok else float('nan'), float(r['sm_clock_sample_mhz'] or 'nan') if ok else float('nan')))
print("pass   D   c N     | flash3 ms (MHz) per round | cudnn/flash3 per round | TFLOP/s flash flash3 cudnn (round 1)")
for k in sorted({k for k, _ in t}):
    n, c, a = t[(k, 'flash3')], t[(k, 'cudnn')], t[(k, 'flash')]
    print("%-6s D%-3d %s %-5d | %s | %s | %.0f %.0f %.0f" % (k[0], k[1], k[2], k[3], ' '.join('%.3f (%.0f)' % (x[0], x[2]) for x in n),
          ' '.join('%.3f' % (x[0] / y[0]) for x, y in zip(c, n)), a[0][1] if a else float('nan'), n[0][1], c[0][1]))
PY
note "== issue 14"
timeout 60 $B run --kernel flash,flash3,cudnn --batch 8 --heads 32 --kv-heads 8 --seqlen 1 --seqlen-kv 32768 --head-dim 128 --dtype bf16 --max-time 0.15 --out $OUT/decode > $OUT/decode.log 2>&1
grep -E '^\[' $OUT/decode.log | tee -a $S; sed -n '/^## Memory-bound rows/,/^## /p' $OUT/decode/results.md | head -9 | tee -a $S
timeout 60 $B run --kernel flash,cudnn --heads 16 --head-dim 128 --dtype bf16 --pass fwd,fwdbwd --causal both --varlen uniform:1024:8192 --batch 16 $F --out $OUT/varlen > $OUT/varlen.log 2>&1
timeout 60 $B run --kernel flash,cudnn --heads 16 --head-dim 128 --dtype bf16 --pass fwd,fwdbwd --causal both --batch 17 --seqlen 4297 --layout bnhd $F --out $OUT/varlen-fixed > $OUT/varlen-fixed.log 2>&1
grep -hE '^\[' $OUT/varlen.log $OUT/varlen-fixed.log | tee -a $S
timeout 60 $B run --kernel flash,flash3,cudnn --batch 2 --heads 32 --kv-heads 32,8 --seqlen 8192 --head-dim 128 --dtype bf16 --pass fwdbwd --causal both $F --out $OUT/gqa > $OUT/gqa.log 2>&1
grep -E '^\[' $OUT/gqa.log | tee -a $S
pack bench
note "== exp-bsmask"
BS="--sparsity random --density 1 --tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 64,128 --dtype bf16 --causal both --pass fwd $F"
for round in 1 2; do
  timeout 40 $B run --kernel flash3,block_sparse $BS --out $OUT/bs-main-$round > /dev/null 2>&1
  timeout 40 $X run --kernel flash3,block_sparse $BS --out $OUT/bs-exp-$round > /dev/null 2>&1
done
python3 - $OUT <<'PY' | tee -a $S
import csv, sys, glob, collections, statistics
t = collections.defaultdict(list)
for f in sorted(glob.glob(sys.argv[1] + '/bs-*-*/results.csv')):
    v = f.split('/')[-2].split('-')[1]
    for r in csv.DictReader(open(f)):
        t[((int(r['head_dim']), r['causal'][0]), r['kernel'], v)].append(float(r['median_ms']))
print("fwd N8192 D causal | flash3 main exp | block_sparse main exp | bs/flash3 main exp (median of rounds)")
for k in sorted({k[0] for k in t}):
    m = {(kk, v): statistics.median(t[(k, kk, v)]) for kk in ('flash3', 'block_sparse') for v in ('main', 'exp')}
    print("D%-3d %s | %.4f %.4f | %.4f %.4f | %.3f %.3f" % (k[0], k[1], m[('flash3', 'main')], m[('flash3', 'exp')], m[('block_sparse', 'main')],
          m[('block_sparse', 'exp')], m[('block_sparse', 'main')] / m[('flash3', 'main')], m[('block_sparse', 'exp')] / m[('flash3', 'exp')]))
PY
timeout 60 $X verify --kernel block_sparse --sparsity local,random,butterfly --density 0.25,1 --seqlen 1000,2048 --head-dim 64,128 --causal both --pass fwd --dtype bf16,fp16 > $OUT/verify-bs-exp.log 2>&1
note "verify block_sparse (exp) rc=$? $(tail -1 $OUT/verify-bs-exp.log)"
pack exp
