#!/usr/bin/env bash
# Device batch of 2026-11-23 run 3: the CI regression-gate round trip on the ci-gate sweep, the
# cuDNN yardstick against PyTorch's cuDNN backend under both timing protocols, and the sanitizers on
# the cudnn family. Usage: docs/perf/scripts/2026-11-23-h100-run3.sh BENCH OUT
set -uo pipefail
bench=$1 out=$2
mkdir -p "$out"
s=$out/summary.txt
note() { echo "$*" | tee -a "$s"; }
"$bench" run --sweep ci-gate --out "$out/gate1" --save-baseline gate --baseline-dir "$out/baselines" >"$out/gate1.log" 2>&1
note "gate run 1 + save: rc=$?"
"$bench" run --sweep ci-gate --out "$out/gate2" --baseline gate --baseline-dir "$out/baselines" >"$out/gate2.log" 2>&1
note "gate run 2 + compare: rc=$? $(grep -m1 'fa-bench compare' "$out/gate2.log") $(grep -m1 'points compared' "$out/gate2.log")"
"$bench" run --kernel cudnn,flash --tokens 16384 --hidden 2048 --seqlen 8192 --head-dim 64,128 --causal both \
  --dtype bf16 --pass fwd --out "$out/cudnn" >"$out/cudnn.log" 2>&1
note "fa-bench cudnn/flash fwd: rc=$?"; grep -E '^\[' "$out/cudnn.log" | tee -a "$s"
for proto in fa-bench do_bench; do
  timeout 120 python3 docs/perf/scripts/torch_sdpa_reference.py --protocol $proto >"$out/torch-$proto.log" 2>&1
  note "torch cuDNN ($proto): rc=$?"; tail -n 12 "$out/torch-$proto.log" | tee -a "$s"
done
for tool in memcheck racecheck; do
  timeout 150 compute-sanitizer --tool $tool "$bench" verify --kernel cudnn --batch 1 --heads 2 --seqlen 300 \
    --seqlen-kv 257 --head-dim 64 --causal 1 --pass fwd,bwd --dtype bf16 >"$out/san-$tool.log" 2>&1
  note "compute-sanitizer $tool cudnn: rc=$? $(grep -E 'ERROR SUMMARY|RACECHECK SUMMARY|passed, .* failed' "$out/san-$tool.log" | tr '\n' ' ')"
done
"$bench" run --kernel cudnn,standard,flash --batch 4 --heads 16 --seqlen 2048 --head-dim 128 --dtype bf16 --hot --graph \
  --out "$out/graph" >"$out/graph.log" 2>&1
note "hot --graph: rc=$?"; grep -E '^\[' "$out/graph.log" | tee -a "$s"
tar -czf "$out.tgz" -C "$out" .
