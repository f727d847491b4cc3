#!/usr/bin/env bash
# Device call 2 (session 12): the dropout mask on Philox4x32-7 with one IMAD.WIDE per product, and the flash3
# backward's dQ writer warp (+ conflict-free staging, lse2 read before the S^T wait). Part "tests": the whole
# GPU suite and the sanitizers on the backward's small points. Part "speed": flash/flash3/cudnn at 16k
# tokens, hidden 2048; the seed point with and without dropout.
set -uo pipefail
cd .carry && for f in *.xz; do xz -d -k -f $f; done && chmod +x fa-bench fa_bench_gpu_tests && cd ..
B=.carry/fa-bench; T=.carry/fa_bench_gpu_tests
S=$OUT/summary.txt; : > $S
note() { echo "$*" | tee -a $S; }
pack() { (cd $OUT && tar -czf $1.tgz --exclude='*.tgz' --exclude=summary.txt $(ls | grep -v -e '\.tgz$' -e '^summary.txt$') && find . -mindepth 1 -maxdepth 1 ! -name '*.tgz' ! -name summary.txt -exec rm -rf {} +); }
nvidia-smi --query-gpu=name,uuid,clocks.sm,power.limit --format=csv,noheader | tee -a $S
if [[ ${PART:-tests} == tests ]]; then
  note "== GPU tests (whole suite)"
  timeout 330 $T -d yes > $OUT/tests.log 2>&1; note "rc=$? $(grep -E 'test cases' $OUT/tests.log | tail -1)"
  grep -B3 -A15 FAILED $OUT/tests.log | head -60 | tee -a $S
  note "== sanitizers, flash3 backward small points"
  for tool in memcheck racecheck synccheck; do
    timeout 60 compute-sanitizer --tool $tool --error-exitcode 9 $T "[.flash3_bwd_sanitize]" > $OUT/san-$tool.log 2>&1
    note "$tool rc=$? $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY|test cases' $OUT/san-$tool.log | tr '\n' ' ')"
  done
  pack tests
else
  note "== speed: flash, flash3, cudnn (bf16, 16k tokens, hidden 2048)"
  timeout 200 $B run --kernel flash,flash3,cudnn --tokens 16384 --hidden 2048 --seqlen 512,1024,8192 --head-dim 64,128 --dtype bf16 --causal both --pass fwd,bwd,fwdbwd --max-time 0.15 --no-counters --out $OUT/speed > $OUT/speed.log 2>&1; note "rc=$?"
  python3 - $OUT/speed/results.csv <<'PY' | tee -a $S
import csv, sys, collections
t = collections.defaultdict(dict)
for r in csv.DictReader(open(sys.argv[1])): t[(r['pass'], int(r['head_dim']), r['causal'], int(r['seqlen_q']))][r['kernel']] = r
for k in sorted(t):
    d = t[k]; f = d.get('flash3', {}); c = d.get('cudnn', {}); a = d.get('flash', {})
    try: ratio = float(c['median_ms'])/float(f['median_ms'])
    except Exception: ratio = float('nan')
    print("%-6s D%d causal=%s N=%-5d | flash %3.0f | flash3 %3.0f | cudnn %3.0f TFLOP/s | cudnn/flash3 %.3f %s" % (k[0], k[1], k[2][0], k[3], float(a.get('tflops') or 0), float(f.get('tflops') or 0), float(c.get('tflops') or 0), ratio, '' if f.get('status') == 'ok' else f.get('status')))
PY
  note "== seed point, dropout 0 and 0.2"
  timeout 90 $B run --kernel standard,flash,flash3,cudnn --batch 32 --heads 8 --seqlen 2048 --head-dim 64 --dtype fp16 --dropout 0,0.2 --pass fwd,fwdbwd --max-time 0.2 --no-counters --out $OUT/seed > $OUT/seed.log 2>&1; note "rc=$?"
  python3 - $OUT/seed/results.csv <<'PY' | tee -a $S
import csv, sys
for r in csv.DictReader(open(sys.argv[1])):
    print("%-9s %-6s p=%-4s %8.3f ms %s" % (r['kernel'], r['pass'], r['dropout'], float(r['median_ms'] or 'nan'), r['status']))
PY
  pack speed
fi
