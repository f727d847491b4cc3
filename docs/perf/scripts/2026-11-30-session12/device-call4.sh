#!/usr/bin/env bash
# Device call 4 (session 12): main with fp8 (issue 12) and decode (issue 14) merged, the flash3 backward
# stagger. PART=tests: GPU tests of the new and touched families. PART=bars: fp8 and decode bars, verify and
# memcheck, flash3's bars and the seed point.
set -uo pipefail
cd .carry && for f in *.xz; do xz -d -k -f $f; done && chmod +x fa-bench fa_bench_gpu_tests && cd ..
B=.carry/fa-bench; T=.carry/fa_bench_gpu_tests
S=$OUT/summary.txt; : > $S
note() { echo "$*" | tee -a $S; }
pack() { (cd $OUT && tar -czf $1.tgz --exclude='*.tgz' --exclude=summary.txt $(ls | grep -v -e '\.tgz$' -e '^summary.txt$') && find . -mindepth 1 -maxdepth 1 ! -name '*.tgz' ! -name summary.txt -exec rm -rf {} +); }
nvidia-smi --query-gpu=name,uuid,clocks.sm,power.limit --format=csv,noheader | tee -a $S
if [[ ${PART:-tests} == tests ]]; then
  for tag in fp8 decode flash3 flash gqa; do
    timeout ${TMO:-150} $T "[$tag]" -d yes > $OUT/tests-$tag.log 2>&1; note "[$tag] rc=$? $(grep -E 'test cases' $OUT/tests-$tag.log | tail -1)"
    grep -B3 -A12 FAILED $OUT/tests-$tag.log | head -40 | tee -a $S
  done
  pack tests
else
  note "== fp8 bar"
  timeout 60 $B run --kernel flash3,cudnn --dtype fp8,bf16 --tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 128,256 --causal both --pass fwd --max-time 0.15 --no-counters --out $OUT/fp8-bar > $OUT/fp8-bar.log 2>&1; note "rc=$?"
  python3 - $OUT/fp8-bar/results.csv <<'PY' | tee -a $S
import csv, sys
for r in csv.DictReader(open(sys.argv[1])):
    print("%-7s %-5s D%-4s causal=%-5s %8s ms %7s TFLOP/s %s" % (r['kernel'], r['dtype'], r['head_dim'], r['causal'], r['median_ms'][:7], r['tflops'][:6], r['status'] if r['status'] == 'ok' else r['status'] + ': ' + r.get('reason', '')[:150]))
PY
  note "== fp8 verify"
  timeout 90 $B verify --kernel flash3,cudnn --dtype fp8 --batch 2 --heads 4 --seqlen 17,255,1000 --seqlen-kv 255,1000 --head-dim 64,128,256 --causal both > $OUT/fp8-verify.log 2>&1; note "rc=$? $(tail -1 $OUT/fp8-verify.log)"
  grep -E "FAIL|error" $OUT/fp8-verify.log | head -8 | tee -a $S
  timeout 60 compute-sanitizer --tool memcheck --error-exitcode 9 $B verify --kernel flash3,cudnn --dtype fp8 --seqlen 255 --head-dim 64,128,256 --causal both > $OUT/fp8-memcheck.log 2>&1; note "fp8 memcheck rc=$? $(grep -E 'ERROR SUMMARY' $OUT/fp8-memcheck.log)"
  note "== decode bar"
  timeout 90 $B run --kernel flash,cudnn --batch 8 --heads 32 --kv-heads 8 --seqlen 1 --seqlen-kv 32768 --head-dim 128 --dtype bf16 --check --out $OUT/decode-bar > $OUT/decode-bar.log 2>&1; note "rc=$?"
  grep -E '^\[' $OUT/decode-bar.log | tee -a $S
  sed -n '/^- hbm_copy_ceiling/p; /^## Memory-bound rows/,/^## /p' $OUT/decode-bar/results.md | head -20 | tee -a $S
  (export FA_FLASH_DECODE=off; timeout 60 $B run --kernel flash --batch 8 --heads 32 --kv-heads 8 --seqlen 1 --seqlen-kv 32768 --head-dim 128 --dtype bf16 --out $OUT/decode-bar-normal > $OUT/decode-bar-normal.log 2>&1; note "normal path rc=$?")
  grep -E '^\[' $OUT/decode-bar-normal.log | tee -a $S
  note "== decode verify + sanitizers"
  timeout 120 $B verify --kernel flash --seqlen 1,4,16 --seqlen-kv 17,4097,65536 --heads 32 --kv-heads 8,1 --head-dim 64 --dtype fp16,bf16 --causal both > $OUT/decode-verify.log 2>&1; note "rc=$? $(tail -1 $OUT/decode-verify.log)"
  for tool in memcheck racecheck; do
    timeout 90 compute-sanitizer --tool $tool --error-exitcode 9 $T "[.decode_sanitize]" > $OUT/san-decode-$tool.log 2>&1
    note "decode $tool rc=$? $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY|test cases' $OUT/san-decode-$tool.log | tr '\n' ' ')"
  done
  pack decode
  note "== flash3 bars (bf16, 16k tokens, hidden 2048) and the seed point"
  timeout 150 $B run --kernel flash,flash3,cudnn --tokens 16384 --hidden 2048 --seqlen 512,1024,8192 --head-dim 64,128 --dtype bf16 --causal both --pass fwd,fwdbwd --max-time 0.15 --no-counters --out $OUT/f3bars > $OUT/f3bars.log 2>&1; note "rc=$?"
  python3 - $OUT/f3bars/results.csv <<'PY' | tee -a $S
import csv, sys, collections
t = collections.defaultdict(dict)
for r in csv.DictReader(open(sys.argv[1])): t[(r['pass'], int(r['head_dim']), r['causal'], int(r['seqlen_q']))][r['kernel']] = r
for k in sorted(t):
    d = t[k]; f = d.get('flash3', {}); c = d.get('cudnn', {}); a = d.get('flash', {})
    try: ratio = float(c['median_ms'])/float(f['median_ms'])
    except Exception: ratio = float('nan')
    print("%-6s D%d causal=%s N=%-5d | flash %3.0f | flash3 %3.0f | cudnn %3.0f TFLOP/s | cudnn/flash3 %.3f" % (k[0], k[1], k[2][0], k[3], float(a.get('tflops') or 0), float(f.get('tflops') or 0), float(c.get('tflops') or 0), ratio))
PY
  timeout 60 $B run --kernel flash,flash3,cudnn --batch 32 --heads 8 --seqlen 2048 --head-dim 64 --dtype fp16 --dropout 0,0.2 --pass fwd --max-time 0.2 --no-counters --out $OUT/seed > $OUT/seed.log 2>&1; note "seed rc=$?"
  python3 - $OUT/seed/results.csv <<'PY' | tee -a $S
import csv, sys
for r in csv.DictReader(open(sys.argv[1])):
    print("%-9s %-6s p=%-4s %8.3f ms %s" % (r['kernel'], r['pass'], r['dropout'], float(r['median_ms'] or 'nan'), r['status']))
PY
  pack bars
fi
