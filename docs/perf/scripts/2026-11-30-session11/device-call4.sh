#!/usr/bin/env bash
# Device call 4 (session 11): main with the flash3 backward merged. GPU tests [flash3] and [dropout]; the
# point that failed in call 3 (N 255 x 1, D 96, dropout) across families; flash/flash3/cudnn speed table for
# fwd, bwd and fwd+bwd; sanitizers on the backward's small points; the gate's 2% runs on gate-2pct.
set -uo pipefail
cd .carry && for f in *.xz; do xz -d -k -f $f; done && chmod +x fa-bench fa_bench_gpu_tests && cd ..
B=.carry/fa-bench; T=.carry/fa_bench_gpu_tests
S=$OUT/summary.txt; : > $S
note() { echo "$*" | tee -a $S; }
pack() { (cd $OUT && tar -czf $1.tgz --exclude='*.tgz' --exclude=summary.txt $(ls | grep -v -e '\.tgz$' -e '^summary.txt$') && find . -mindepth 1 -maxdepth 1 ! -name '*.tgz' ! -name summary.txt -exec rm -rf {} +); }
nvidia-smi --query-gpu=name,uuid,clocks.sm,power.limit --format=csv,noheader | tee -a $S
note "== GPU tests [flash3]"
timeout 150 $T "[flash3]" > $OUT/flash3-tests.log 2>&1; note "rc=$? $(grep -E 'test cases' $OUT/flash3-tests.log | tail -1)"
grep -B2 -A12 FAILED $OUT/flash3-tests.log | head -50 | tee -a $S
note "== the call-3 failure across families (N 255 x 1, dropout 0.17, bwd, 3 seeds)"
timeout 25 $B verify --kernel flash,standard,flash3 --batch 1 --heads 1 --seqlen 255 --seqlen-kv 1,2 --head-dim 64,96,128 --dtype fp16 --dropout 0.17 --pass bwd --seed 1,2,3 > $OUT/nk1.log 2>&1; note "rc=$? $(tail -1 $OUT/nk1.log)"
grep -E "FAIL" $OUT/nk1.log | head -12 | tee -a $S
note "== speed: flash, flash3, cudnn (bf16, 16k tokens, hidden 2048)"
timeout 130 $B run --kernel flash,flash3,cudnn --tokens 16384 --hidden 2048 --seqlen 512:16384:x2 --head-dim 64,128 --dtype bf16 --causal both --pass fwd,bwd,fwdbwd --max-time 0.15 --no-counters --out $OUT/speed > $OUT/speed.log 2>&1; note "rc=$?"
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
pack speed
note "== GPU tests [dropout]"
timeout 90 $T "[dropout]" > $OUT/dropout-tests.log 2>&1; note "rc=$? $(grep -E 'test cases' $OUT/dropout-tests.log | tail -1)"
grep -B2 -A12 FAILED $OUT/dropout-tests.log | head -30 | tee -a $S
note "== sanitizers, flash3 backward small points"
for tool in memcheck racecheck synccheck; do
  timeout 40 compute-sanitizer --tool $tool --error-exitcode 9 $T "[.flash3_bwd_sanitize]" > $OUT/san-$tool.log 2>&1
  note "$tool rc=$? $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY|test cases' $OUT/san-$tool.log | tr '\n' ' ')"
done
pack tests
note "== gate: 2% runs on gate-2pct"
mkdir -p build-carry/cli && cp $B build-carry/cli/fa-bench
SWEEPS=gate-2pct BASE_RUNS=5 AA_RUNS=0 TWO_PCT_SWEEP=gate-2pct TWO_PCT_RUNS=4 TWO_PCT_MIN_MS=0.075 \
  RUN_FLAGS="--sweep-file scripts/gate-study-sweeps.json" BUDGET_S=90 timeout 125 bash scripts/gate-study.sh build-carry $OUT/gate2 > $OUT/gate2.log 2>&1; note "rc=$?"
grep -E "^\| |wrong|total" $OUT/gate2.log | tail -8 | tee -a $S
pack gate
