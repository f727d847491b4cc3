#!/usr/bin/env bash
set -uo pipefail
cd .carry && xz -d -k -f fa-bench.xz && chmod +x fa-bench && cd ..
nvidia-smi --query-gpu=name,uuid --format=csv,noheader
mkdir -p build-carry/cli && cp .carry/fa-bench build-carry/cli/fa-bench
BUDGET_S=70 AA_RUNS=4 DETECT=0 timeout 110 bash scripts/gate-study.sh build-carry $OUT/gate-m2 --against .carry/gate-m1 > $OUT/gate.log 2>&1; echo "rc=$?"
grep -E "^\| |total" $OUT/gate.log | head -12
(cd $OUT && tar -czf results.tgz --exclude=results.tgz * && find . -mindepth 1 -maxdepth 1 ! -name results.tgz -exec rm -rf {} +)
