#!/usr/bin/env bash
# Device call 5 (session 13): main with block-sparse-flash3 merged (block_sparse on flash3's kernels, block lists
# walked by producer and consumers) and lse2 read early at D64 in the backward. (1) The issue-11 bar table twice,
# each round preceded by the session-start flash3 (.carry/old) on the same points: the bars and an A/B of the dense
# path. (2) block_sparse's 5 % bar (an all-kept random mask vs flash3). (3) The seed point with dropout, GQA,
# decode and varlen bars. (4) The whole GPU suite; block_sparse sanitizers; varlen verify at D128.
set -uo pipefail
cd .carry && for f in *.xz old/*.xz; do xz -d -k -f $f; done && chmod +x fa-bench fa_bench_gpu_tests old/fa-bench && cd ..
B=.carry/fa-bench; A=.carry/old/fa-bench; T=.carry/fa_bench_gpu_tests
S=$OUT/summary.txt; : > $S
note() { echo "$*" | tee -a $S; }
pack() { (cd $OUT && tar -czf $1.tgz --exclude='*.tgz' --exclude=summary.txt $(ls | grep -v -e '\.tgz$' -e '^summary.txt$') && find . -mindepth 1 -maxdepth 1 ! -name '*.tgz' ! -name summary.txt -exec rm -rf {} +); }
nvidia-smi --query-gpu=name,uuid,clocks.sm,power.limit --format=csv,noheader | tee -a $S
F="--max-time 0.15 --no-counters"
P="--tokens 16384 --hidden 2048 --seqlen 512,1024,8192 --head-dim 64,128 --dtype bf16 --causal both --pass fwd,fwdbwd"
for round in 1 2; do
  timeout 90 $A run --kernel flash3 $P $F --out $OUT/bars-old-$round > /dev/null 2>&1
  timeout 150 $B run --kernel flash,flash3,cudnn $P $F --out $OUT/bars-new-$round > /dev/null 2>&1
done
python3 - $OUT <<'PY' | tee -a $S
import csv, sys, glob, collections, statistics
t = collections.defaultdict(list)
for f in sorted(glob.glob(sys.argv[1] + '/bars-*-*/results.csv')):
    v = f.split('/')[-2].split('-')[1]
    for r in csv.DictReader(open(f)):
        k = (r['pass'], int(r['head_dim']), r['causal'][0], int(r['seqlen_q']))
        t[(k, r['kernel'] + ('-old' if v == 'old' else ''))].append(float(r['median_ms']) if r['status'] == 'ok' else float('nan'))
print("pass   D   c N     | flash3 ms (old) | flash3 ms (new) | new/old | cudnn/flash3 per round | flash TFLOP-free ratio cudnn/flash")
for k in sorted({k for k, _ in t}):
    o, n, c, a = t[(k, 'flash3-old')], t[(k, 'flash3')], t[(k, 'cudnn')], t[(k, 'flash')]
    print("%-6s D%-3d %s %-5d | %s | %s | %.3f | %s | %s" % (k[0], k[1], k[2], k[3], ' '.join('%.3f' % x for x in o), ' '.join('%.3f' % x for x in n),
          statistics.median(n) / statistics.median(o), ' '.join('%.3f' % (x / y) for x, y in zip(c, n)), ' '.join('%.3f' % (x / y) for x, y in zip(c, a))))
PY
note "== block_sparse bar: all-kept random mask vs flash3"
timeout 90 $B run --kernel flash3,block_sparse --sparsity random --density 1,0.25 --tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 64,128 --dtype bf16 --causal both --pass fwd,fwdbwd $F --out $OUT/bs-bar > $OUT/bs-bar.log 2>&1; note "rc=$?"
grep -E '^\[' $OUT/bs-bar.log | tee -a $S
note "== seed dropout, GQA, decode, varlen"
timeout 60 $B run --kernel flash,flash3,cudnn --batch 32 --heads 8 --seqlen 2048 --head-dim 64 --dtype fp16 --dropout 0,0.2 --pass fwd $F --out $OUT/seed > $OUT/seed.log 2>&1
grep -E '^\[' $OUT/seed.log | tee -a $S
timeout 80 $B run --kernel flash,flash3,cudnn --batch 2 --heads 32 --kv-heads 32,8 --seqlen 8192 --head-dim 128 --dtype bf16 --pass fwdbwd --causal both $F --out $OUT/gqa > $OUT/gqa.log 2>&1
grep -E '^\[' $OUT/gqa.log | tee -a $S
timeout 60 $B run --kernel flash,cudnn --batch 8 --heads 32 --kv-heads 8 --seqlen 1 --seqlen-kv 32768 --head-dim 128 --dtype bf16 --max-time 0.15 --out $OUT/decode > $OUT/decode.log 2>&1
grep -E '^\[' $OUT/decode.log | tee -a $S; sed -n '/^## Memory-bound rows/,/^## /p' $OUT/decode/results.md | head -8 | tee -a $S
timeout 60 $B run --kernel flash,cudnn --heads 16 --head-dim 128 --dtype bf16 --pass fwd,fwdbwd --causal both --varlen uniform:1024:8192 --batch 16 $F --out $OUT/varlen > $OUT/varlen.log 2>&1
timeout 60 $B run --kernel flash,cudnn --heads 16 --head-dim 128 --dtype bf16 --pass fwd,fwdbwd --causal both --batch 17 --seqlen 4297 --layout bnhd $F --out $OUT/varlen-fixed > $OUT/varlen-fixed.log 2>&1
grep -hE '^\[' $OUT/varlen.log $OUT/varlen-fixed.log | tee -a $S
pack bench
note "== GPU suite, sanitizers, varlen verify D128"
timeout 150 $B verify --kernel flash,cudnn --varlen fixed-list:1,17,1000,4097 --heads 2 --head-dim 128 --dtype fp16,bf16 --causal both --pass fwd,bwd > $OUT/varlen-verify.log 2>&1 &
for tool in memcheck racecheck synccheck; do
  timeout 60 compute-sanitizer --tool $tool --error-exitcode 9 $T "[.block_sparse_flash3_sanitize]" > $OUT/san-bs-$tool.log 2>&1
  note "$tool block_sparse rc=$? $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY|test cases' $OUT/san-bs-$tool.log | tr '\n' ' ')"
done
timeout 260 $T -d yes > $OUT/tests.log 2>&1; note "suite rc=$? $(grep -E 'test cases' $OUT/tests.log | tail -1)"
grep -B3 -A15 FAILED $OUT/tests.log | head -40 | tee -a $S
wait; note "varlen verify D128: $(tail -1 $OUT/varlen-verify.log)"
pack tests
