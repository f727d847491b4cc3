#!/usr/bin/env bash
# Device call 3: flash3 forward (register-budget fix, shared dropout mask), the shared-mask GPU tests of every
# family, sanitizers, the speed table against cudnn, and (GATE=1) the gate study on this machine.
set -uo pipefail
cd .carry && for f in *.xz; do xz -d -k -f $f; done && chmod +x fa-bench* fa_bench_gpu_tests && cd ..
B=.carry/fa-bench; T=.carry/fa_bench_gpu_tests
S=$OUT/summary.txt; : > $S
note() { echo "$*" | tee -a $S; }
nvidia-smi --query-gpu=name,uuid,clocks.sm,power.limit --format=csv,noheader | tee -a $S
note "== smoke (hang guard)"
timeout 20 $B verify --kernel flash3 --batch 1 --heads 2 --seqlen 256 --head-dim 128 --dtype bf16 --causal both > $OUT/v.log 2>&1; note "rc=$? $(tail -1 $OUT/v.log)"
note "== flash3 verify"
timeout 90 $B verify --kernel flash3 --batch 1 --heads 2 --seqlen 1,17,255,1000,4097 --seqlen-kv 1,17,255,1000,4097 --head-dim 64,96,128,256 --dtype fp16,bf16 --causal both >> $OUT/v.log 2>&1; note "grid rc=$? $(tail -1 $OUT/v.log)"
timeout 60 $B verify --kernel flash3,flash,standard --batch 1 --heads 2 --seqlen 17,255,1000 --seqlen-kv 255,4097 --head-dim 64,96,128,256 --dtype fp16,bf16 --causal both --dropout 0.17 >> $OUT/v.log 2>&1; note "dropout 0.17 fwd rc=$? $(tail -1 $OUT/v.log)"
timeout 60 $B verify --kernel flash,standard,block_sparse --batch 1 --heads 2 --seqlen 255,1000 --seqlen-kv 257 --head-dim 64,128 --dtype bf16 --causal both --dropout 0.17 --pass bwd --sparsity dense,local --density 0.5 >> $OUT/v.log 2>&1; note "dropout 0.17 bwd rc=$? $(tail -1 $OUT/v.log)"
timeout 30 $B verify --kernel flash3 --batch 2 --heads 3 --seqlen 200 --seqlen-kv 130 --head-dim 64,96,128,256 --dtype bf16 --causal both --dropout 0,0.17 --layout bnhd >> $OUT/v.log 2>&1; note "bnhd rc=$? $(tail -1 $OUT/v.log)"
timeout 30 $B verify --kernel flash3 --batch 2 --heads 33000 --seqlen 5 --seqlen-kv 9 --head-dim 64 --dtype fp16 --causal both --dropout 0,0.17 >> $OUT/v.log 2>&1; note "B*H>65535 rc=$? $(tail -1 $OUT/v.log)"
grep FAIL $OUT/v.log | head -5 | tee -a $S
note "== GPU tests (shared dropout mask, flash3, every family)"
timeout 120 $T "[dropout],[flash3],[flash_bwd],[block_sparse],[fault]" > $OUT/gpu-tests.log 2>&1; note "rc=$? $(grep -E 'test cases' $OUT/gpu-tests.log | tail -1)"
table() {
python3 - "$1" <<'PY'
import csv, sys, collections
rows = list(csv.DictReader(open(sys.argv[1])))
t = collections.defaultdict(dict)
for r in rows: t[(r['head_dim'], r['causal'], r['seqlen_q'], r['dropout'])][r['kernel']] = r
for k in sorted(t, key=lambda k: (int(k[0]), k[1], int(k[2]), k[3])):
    d = t[k]; f = d.get('flash3', {}); c = d.get('cudnn', {}); a = d.get('flash', {})
    try: ratio = float(c['median_ms'])/float(f['median_ms'])
    except Exception: ratio = float('nan')
    print("D%s causal=%s N=%s p=%s | flash %.0f | flash3 %.0f | cudnn %.0f TFLOP/s | cudnn_ms/flash3_ms %.3f" % (k[0], k[1][0], k[2], k[3], float(a.get('tflops') or 0), float(f.get('tflops') or 0), float(c.get('tflops') or 0), ratio))
PY
}
note "== speed (fa2-benchmark grid, forward)"
timeout 100 $B run --kernel flash,flash3,cudnn --tokens 16384 --hidden 2048 --seqlen 512:16384:x2 --head-dim 64,128 --dtype bf16 --causal both --pass fwd --max-time 0.2 --out $OUT/speed > $OUT/speed.log 2>&1; note "rc=$?"
table $OUT/speed/results.csv | tee -a $S
note "== seed point, dropout"
timeout 40 $B run --kernel flash,flash3,cudnn --batch 32 --heads 8 --seqlen 2048 --head-dim 64 --dtype fp16 --dropout 0,0.2 --pass fwd --max-time 0.2 --no-counters --out $OUT/drop > /dev/null 2>&1; note "rc=$?"
python3 -c "
import csv
for r in csv.DictReader(open('$OUT/drop/results.csv')): print(r['kernel'], 'p', r['dropout'], 'used', r.get('dropout_used'), r['median_ms'], 'ms', r['status'])
" | tee -a $S
if [[ ${GATE:-0} == 1 ]]; then
  note "== gate study"
  mkdir -p build-carry/cli && cp $B build-carry/cli/fa-bench
  BUDGET_S=${GATE_BUDGET:-220} BASE_RUNS=4 AA_RUNS=6 timeout 290 bash scripts/gate-study.sh build-carry $OUT/gate > $OUT/gate.log 2>&1; note "rc=$?"
  tail -40 $OUT/gate.log | tee -a $S
fi
(cd $OUT && tar -czf results.tgz --exclude=results.tgz --exclude=summary.txt * && find . -mindepth 1 -maxdepth 1 ! -name results.tgz ! -name summary.txt -exec rm -rf {} +)
