#!/usr/bin/env bash
# Device call 6 (session 13), the last: the submitted main (block_sparse on flash3 with compile-time mask
# instances, the faster fp8 V transpose, ring on flash3, lse2 early at D64). (1) Timing, nothing else on the GPU:
# the issue-11 bar table twice, each round after the session-start flash3 (.carry/old) on the same points (A/B of
# the dense kernels); block_sparse's 5 % bar; fp8 against bf16 and cuDNN; the seed point with dropout; flash3 GQA.
# (2) Correctness, in parallel: the GPU suite in two processes, sanitizers on the block_sparse and fp8 small points,
# verify of fp8 and block_sparse; cuobjdump -res-usage of every flash3 instance. (3) Between the two: three
# one-change experiments (branches exp-vA: dPsum read early in the D64 backward; exp-vB: the D64 causal backward
# staggered; exp-vC: the D64 forward on 3 K/V stages), each against main on its own points, three interleaved
# rounds, and a verify of each on small points.
set -uo pipefail
cd .carry && for f in *.xz old/*.xz exp/*.xz; do xz -d -k -f $f; done && chmod +x fa-bench fa_bench_gpu_tests old/fa-bench exp/* && cd ..
B=.carry/fa-bench; A=.carry/old/fa-bench; T=.carry/fa_bench_gpu_tests
S=$OUT/summary.txt; : > $S
note() { echo "$*" | tee -a $S; }
pack() { (cd $OUT && tar -czf $1.tgz --exclude='*.tgz' --exclude=summary.txt $(ls | grep -v -e '\.tgz$' -e '^summary.txt$') && find . -mindepth 1 -maxdepth 1 ! -name '*.tgz' ! -name summary.txt -exec rm -rf {} +); }
nvidia-smi --query-gpu=name,uuid,clocks.sm,power.limit --format=csv,noheader | tee -a $S
F="--max-time 0.15 --no-counters"
P="--tokens 16384 --hidden 2048 --seqlen 512,1024,8192 --head-dim 64,128 --dtype bf16 --causal both --pass fwd,fwdbwd"
for round in 1 2; do
  timeout 60 $A run --kernel flash3 $P $F --out $OUT/bars-old-$round > /dev/null 2>&1
  timeout 100 $B run --kernel flash,flash3,cudnn $P $F --out $OUT/bars-new-$round > /dev/null 2>&1
done
python3 - $OUT <<'PY' | tee -a $S
import csv, sys, glob, collections, statistics
t = collections.defaultdict(list)
for f in sorted(glob.glob(sys.argv[1] + '/bars-*-*/results.csv')):
    v = f.split('/')[-2].split('-')[1]
    for r in csv.DictReader(open(f)):
        k = (r['pass'], int(r['head_dim']), r['causal'][0], int(r['seqlen_q']))
        t[(k, r['kernel'] + ('-old' if v == 'old' else ''))].append(float(r['median_ms']) if r['status'] == 'ok' else float('nan'))
print("pass   D   c N     | flash3 ms old | flash3 ms new | new/old | cudnn/flash3 per round | cudnn/flash")
for k in sorted({k for k, _ in t}):
    o, n, c, a = t[(k, 'flash3-old')], t[(k, 'flash3')], t[(k, 'cudnn')], t[(k, 'flash')]
    print("%-6s D%-3d %s %-5d | %s | %s | %.3f | %s | %s" % (k[0], k[1], k[2], k[3], ' '.join('%.3f' % x for x in o), ' '.join('%.3f' % x for x in n),
          statistics.median(n) / statistics.median(o), ' '.join('%.3f' % (x / y) for x, y in zip(c, n)), ' '.join('%.3f' % (x / y) for x, y in zip(c, a))))
PY
timeout 60 $B run --kernel flash3,block_sparse --sparsity random --density 1,0.25 --tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 64,128 --dtype bf16 --causal both --pass fwd,fwdbwd $F --out $OUT/bs-bar > $OUT/bs-bar.log 2>&1
grep -E '^\[' $OUT/bs-bar.log | tee -a $S
timeout 45 $B run --kernel flash3,cudnn --dtype fp8,bf16 --tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 128,256 --causal both --pass fwd $F --out $OUT/fp8-bar > $OUT/fp8-bar.log 2>&1
grep -E '^\[' $OUT/fp8-bar.log | tee -a $S
timeout 30 $B run --kernel flash,flash3,cudnn --batch 32 --heads 8 --seqlen 2048 --head-dim 64 --dtype fp16 --dropout 0,0.2 --pass fwd $F --out $OUT/seed > $OUT/seed.log 2>&1
grep -E '^\[' $OUT/seed.log | tee -a $S
timeout 45 $B run --kernel flash3,cudnn --batch 2 --heads 32 --kv-heads 32,8 --seqlen 8192 --head-dim 128 --dtype bf16 --pass fwdbwd --causal both $F --out $OUT/gqa > $OUT/gqa.log 2>&1
grep -E '^\[' $OUT/gqa.log | tee -a $S
note "== experiments"
E=.carry/exp
BP="--tokens 16384 --hidden 2048 --seqlen 512,1024,8192 --head-dim 64 --dtype bf16 --causal both"
for round in 1 2 3; do
  for v in main vA vB; do X=$B; [[ $v != main ]] && X=$E/fa-bench-$v; timeout 40 $X run --kernel flash3 $BP --pass bwd $F --out $OUT/exp-bwd-$v-$round > /dev/null 2>&1; done
  for v in main vC; do X=$B; [[ $v != main ]] && X=$E/fa-bench-$v; timeout 40 $X run --kernel flash3 $BP --pass fwd $F --out $OUT/exp-fwd-$v-$round > /dev/null 2>&1; done
done
python3 - $OUT <<'PY' | tee -a $S
import csv, sys, glob, collections, statistics
t = collections.defaultdict(list)
for f in sorted(glob.glob(sys.argv[1] + '/exp-*-*-*/results.csv')):
    _, ps, v, _ = f.split('/')[-2].split('-')
    for r in csv.DictReader(open(f)):
        t[((ps, r['causal'][0], int(r['seqlen_q'])), v)].append(float(r['median_ms']) if r['status'] == 'ok' else float('nan'))
for k in sorted({k for k, _ in t}):
    m = statistics.median(t[(k, 'main')])
    print("%s D64 causal=%s N=%-5d main %.3f ms | " % (k[0], k[1], k[2], m) + " | ".join("%s %.3f" % (v, statistics.median(t[(k, v)]) / m) for v in ('vA', 'vB', 'vC') if (k, v) in t))
PY
for v in vA vB vC; do
  ps=bwd; [[ $v == vC ]] && ps=fwd
  timeout 40 $E/fa-bench-$v verify --kernel flash3 --batch 2 --heads 3 --seqlen 17,255,1000 --seqlen-kv 255,1000 --head-dim 64 --dtype bf16,fp16 --causal both --dropout 0,0.17 --pass $ps > $OUT/exp-verify-$v.log 2>&1
  note "verify $v ($ps) rc=$? $(tail -1 $OUT/exp-verify-$v.log)"
done
pack bench
note "== correctness (parallel)"
G="[flash3],[gqa],[fp8],[block_sparse]"
(timeout 230 $T -d yes "$G" > $OUT/tests-a.log 2>&1; echo "suite part A ($G) rc=$? $(grep -E 'test cases' $OUT/tests-a.log | tail -1)" > $OUT/ra.txt) &
(timeout 230 $T -d yes "~[flash3]~[gqa]~[fp8]~[block_sparse]" > $OUT/tests-b.log 2>&1; echo "suite part B (the rest) rc=$? $(grep -E 'test cases' $OUT/tests-b.log | tail -1)" > $OUT/rb.txt) &
(
  for tool in memcheck racecheck synccheck; do
    timeout 50 compute-sanitizer --tool $tool --error-exitcode 9 $T "[.block_sparse_flash3_sanitize]" > $OUT/san-bs-$tool.log 2>&1
    echo "$tool block_sparse rc=$? $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY|test cases' $OUT/san-bs-$tool.log | tr '\n' ' ')"
    timeout 50 compute-sanitizer --tool $tool --error-exitcode 9 $B verify --kernel flash3 --dtype fp8 --batch 1 --heads 2 --seqlen 17,255 --seqlen-kv 255 --head-dim 64,128,256 --causal both > $OUT/san-fp8-$tool.log 2>&1
    echo "$tool fp8 rc=$? $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY' $OUT/san-fp8-$tool.log | tr '\n' ' ') $(tail -1 $OUT/san-fp8-$tool.log)"
  done
  timeout 60 $B verify --kernel flash3,cudnn --dtype fp8 --batch 2 --heads 4 --seqlen 17,255,1000 --seqlen-kv 255,1000 --head-dim 64,128,256 --causal both > $OUT/verify-fp8.log 2>&1
  echo "verify fp8 rc=$? $(tail -1 $OUT/verify-fp8.log)"
  timeout 60 $B verify --kernel block_sparse --sparsity local,random,butterfly --density 0.25 --seqlen 1000,2048 --head-dim 64,128 --causal both --pass fwd,bwd --dtype bf16 > $OUT/verify-bs.log 2>&1
  echo "verify block_sparse rc=$? $(tail -1 $OUT/verify-bs.log) flash3 notes: $(grep -c 'ran flash3' $OUT/verify-bs.log)"
) > $OUT/side.txt 2>&1 &
cuobjdump -res-usage $B 2>/dev/null | grep -A1 flash3_ > $OUT/res-usage.txt
note "flash3 instances: $(grep -c 'Function' $OUT/res-usage.txt) (LOCAL nonzero: $(grep -c 'LOCAL:[1-9]' $OUT/res-usage.txt))"
wait
cat $OUT/ra.txt $OUT/rb.txt $OUT/side.txt | tee -a $S
grep -h -B3 -A12 FAILED $OUT/tests-*.log | head -40 | tee -a $S
pack tests
