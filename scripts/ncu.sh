#!/usr/bin/env bash
# Captures one fa-bench point with Nsight Compute.
#   scripts/ncu.sh --kernel flash --batch 4 --heads 16 --seqlen 4096 --head-dim 128 --dtype bf16
# Extra ncu options go in NCU_ARGS (default: --set full); the report is written to
# ${NCU_OUT:-fa-bench-profile}.ncu-rep. fa-bench's profile subcommand warms up, then runs exactly one
# invocation between cudaProfilerStart/Stop, which --profile-from-start off captures. Clocks are
# left as the machine has them (--clock-control none), like every fa-bench timing.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${FA_BENCH:-$here/build/cli/fa-bench}
[[ -x $bin ]] || { echo "ncu.sh: $bin not built (run scripts/setup.sh)" >&2; exit 2; }
command -v ncu >/dev/null || { echo "ncu.sh: ncu not on PATH" >&2; exit 2; }
# shellcheck disable=SC2086
exec ncu --clock-control none --profile-from-start off ${NCU_ARGS:---set full} -f -o "${NCU_OUT:-fa-bench-profile}" \
  "$bin" profile "$@"
