#!/usr/bin/env bash
# Device call 3 (session 11): the shared-mask test fixed; the flash3 backward (helper branch flash3-bwd at
# a841a2b, binaries bwd-*) tests, verify grid and first speed; the gate across machines (A/A against call 2's
# 5-run baselines, gated with run --baseline) and the 2% runs on the gate-2pct sweep (points of ~75-100 us).
set -uo pipefail
cd .carry && for f in *.xz; do xz -d -k -f $f; done && chmod +x fa-bench fa_bench_gpu_tests bwd-fa-bench bwd-gpu-tests && cd ..
B=.carry/fa-bench; T=.carry/fa_bench_gpu_tests; BB=.carry/bwd-fa-bench; BT=.carry/bwd-gpu-tests
S=$OUT/summary.txt; : > $S
note() { echo "$*" | tee -a $S; }
nvidia-smi --query-gpu=name,uuid,clocks.sm,power.limit --format=csv,noheader | tee -a $S
note "== shared dropout mask test"
timeout 25 $T "[dropout]" > $OUT/gpu-dropout.log 2>&1; note "rc=$? $(grep -E 'test cases' $OUT/gpu-dropout.log | tail -1)"
note "== flash3 bwd GPU tests"
timeout 110 $BT "[flash3]" > $OUT/bwd-tests.log 2>&1; note "rc=$? $(grep -E 'test cases' $OUT/bwd-tests.log | tail -1)"
grep -B2 -A14 FAILED $OUT/bwd-tests.log | head -60 | tee -a $S
note "== flash3 bwd verify"
timeout 45 $BB verify --kernel flash3 --batch 1 --heads 2 --seqlen 1,17,255,1000 --seqlen-kv 17,1000,4097 --head-dim 64,96,128 --dtype fp16,bf16 --causal both --dropout 0,0.17 --pass bwd > $OUT/bwd-verify.log 2>&1; note "rc=$? $(tail -1 $OUT/bwd-verify.log)"
grep FAIL $OUT/bwd-verify.log | head -5 | tee -a $S
note "== flash3 fwd+bwd speed (bf16, 16k tokens, hidden 2048)"
timeout 50 $BB run --kernel flash,flash3,cudnn --tokens 16384 --hidden 2048 --seqlen 1024,8192 --head-dim 64,128 --dtype bf16 --causal both --pass bwd,fwdbwd --max-time 0.15 --no-counters --out $OUT/bwd-speed > $OUT/bwd-speed.log 2>&1; note "rc=$?"
python3 - $OUT/bwd-speed/results.csv <<'PY' | tee -a $S
import csv, sys, collections
t = collections.defaultdict(dict)
for r in csv.DictReader(open(sys.argv[1])): t[(r['pass'], r['head_dim'], r['causal'], r['seqlen_q'])][r['kernel']] = r
for k in sorted(t):
    d = t[k]; f = d.get('flash3', {}); c = d.get('cudnn', {}); a = d.get('flash', {})
    try: ratio = float(c['median_ms'])/float(f['median_ms'])
    except Exception: ratio = float('nan')
    print("%s D%s causal=%s N=%s | flash %.0f | flash3 %.0f (%s) | cudnn %.0f TFLOP/s | cudnn/flash3 %.3f" % (k[0], k[1], k[2][0], k[3], float(a.get('tflops') or 0), float(f.get('tflops') or 0), f.get('status'), float(c.get('tflops') or 0), ratio))
PY
mkdir -p build-carry/cli && cp $B build-carry/cli/fa-bench
note "== gate: A/A against call 2's baselines (another machine when this GPU's uuid differs from GPU-97dcc7ca)"
BUDGET_S=150 AA_RUNS=10 timeout 185 bash scripts/gate-study.sh build-carry $OUT/xgate --against .carry/gate-m2 > $OUT/xgate.log 2>&1; note "rc=$?"
grep -E "^\| |failure|total" $OUT/xgate.log | tail -8 | tee -a $S
note "== gate: 2% runs on gate-2pct"
SWEEPS=gate-2pct BASE_RUNS=5 AA_RUNS=0 TWO_PCT_SWEEP=gate-2pct TWO_PCT_RUNS=4 TWO_PCT_MIN_MS=0.075 \
  RUN_FLAGS="--sweep-file scripts/gate-study-sweeps.json" BUDGET_S=120 timeout 160 bash scripts/gate-study.sh build-carry $OUT/gate2 > $OUT/gate2.log 2>&1; note "rc=$?"
grep -E "^\| |wrong|total" $OUT/gate2.log | tail -12 | tee -a $S
(cd $OUT && tar -czf results.tgz --exclude=results.tgz --exclude=summary.txt * && find . -mindepth 1 -maxdepth 1 ! -name results.tgz ! -name summary.txt -exec rm -rf {} +)
